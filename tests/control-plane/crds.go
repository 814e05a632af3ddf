package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// loadCRDs reads the CustomResourceDefinitions from the --crds arguments. A
// directory contributes its *.yaml, *.yml and *.json files (not recursively),
// in name order. Documents of other kinds are skipped with a note: upstream
// CRD folders also hold a kustomization.yaml.
func loadCRDs(paths []string, stdin io.Reader) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	var crds []*apiextensionsv1.CustomResourceDefinition
	seen := map[string]string{} // CRD name -> where it came from
	add := func(source string, r io.Reader) error {
		found, err := decodeCRDs(source, r)
		if err != nil {
			return err
		}
		for _, crd := range found {
			if prev, ok := seen[crd.Name]; ok {
				return fmt.Errorf("CRD %s is defined in both %s and %s", crd.Name, prev, source)
			}
			seen[crd.Name] = source
			crds = append(crds, crd)
		}
		return nil
	}
	for _, path := range paths {
		if path == "-" {
			if err := add("stdin", stdin); err != nil {
				return nil, err
			}
			continue
		}
		files, err := manifestFiles(path)
		if err != nil {
			return nil, err
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				return nil, err
			}
			if err := add(file, bytes.NewReader(data)); err != nil {
				return nil, err
			}
		}
	}
	if len(crds) == 0 {
		return nil, fmt.Errorf("no CustomResourceDefinition found in %s", strings.Join(paths, ", "))
	}
	return crds, nil
}

func manifestFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path) // sorted by name
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if !e.IsDir() && slices.Contains([]string{".yaml", ".yml", ".json"}, ext) {
			files = append(files, filepath.Join(path, e.Name()))
		}
	}
	return files, nil
}

// decodeCRDs splits a YAML stream (or one JSON object) into documents and
// returns the CRDs among them.
func decodeCRDs(source string, r io.Reader) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(r))
	var crds []*apiextensionsv1.CustomResourceDefinition
	for i := 1; ; i++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return crds, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return nil, fmt.Errorf("%s, document %d: %w", source, i, err)
		}
		if meta.APIVersion == "" && meta.Kind == "" {
			continue // empty, or only comments
		}
		if meta.APIVersion != apiextensionsv1.SchemeGroupVersion.String() || meta.Kind != "CustomResourceDefinition" {
			logf("%s, document %d: skipping kind %q (apiVersion %q), not a CustomResourceDefinition", source, i, meta.Kind, meta.APIVersion)
			continue
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.Unmarshal(doc, crd); err != nil {
			return nil, fmt.Errorf("%s, document %d: %w", source, i, err)
		}
		crds = append(crds, crd)
	}
}
