
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'kubectl-kfp' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'kubectl-kfp'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'kubectl-kfp' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate (repeatable)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Time to wait for one server request, e.g. 10s, 1m; 0 waits forever')
            [CompletionResult]::new('--shared-namespace', '--shared-namespace', [CompletionResultType]::ParameterName, 'Shared namespace to resolve pipelines from (env KUBECTL_KFP_SHARED_NAMESPACE; default kubeflow; "" turns sharing off)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Skip TLS certificate verification (insecure; prints a warning)')
            [CompletionResult]::new('--no-shared', '--no-shared', [CompletionResultType]::ParameterName, 'Do not look in any shared namespace')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress on stderr (also KUBECTL_KFP_NO_PROGRESS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List pipelines of the namespace and the shared namespace, or the versions of one pipeline')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List pipelines of the namespace and the shared namespace, or the versions of one pipeline')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Show one pipeline version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a pipeline version from a compiled pipeline')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Compare two pipeline versions, or a version with a file (exit 1 when they differ)')
            [CompletionResult]::new('promote', 'promote', [CompletionResultType]::ParameterValue, 'Copy a pipeline version into another namespace or cluster')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Show where a version came from and where it was promoted to, across namespaces and clusters')
            [CompletionResult]::new('drift', 'drift', [CompletionResultType]::ParameterValue, 'Compare namespaces or clusters with the shared pipelines (exit 1 when something drifts)')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check what breaks KFP''s Kubernetes mode (API, webhooks, access, data); --fix repairs labels and owners')
            [CompletionResult]::new('tag', 'tag', [CompletionResultType]::ParameterValue, 'Set or remove tags (spec.tags) of a pipeline version, or its display name')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Delete old versions of a pipeline; never the latest, newest, tagged, scheduled or promoted-from ones')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show or change this plugin''s settings')
            [CompletionResult]::new('crds', 'crds', [CompletionResultType]::ParameterValue, 'Print the CustomResourceDefinitions this plugin expects (kubectl kfp crds | kubectl apply -f -)')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the client and server versions and whether the KFP resources are served')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('__complete', '__complete', [CompletionResultType]::ParameterValue, 'Print completion candidates for a partial command line (used by the completion scripts)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-kfp;list' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Label selector, e.g. team=ml,tier!=dev')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Label selector, e.g. team=ml,tier!=dev')
            [CompletionResult]::new('--chunk-size', '--chunk-size', [CompletionResultType]::ParameterName, 'Read lists in pages of N objects, following continue tokens (0: one request). Without it, lists are streamed from the API server''s cache in one request, or read in pages of 500 where the server or your role does not allow streaming')
            [CompletionResult]::new('--sort-by', '--sort-by', [CompletionResultType]::ParameterName, 'Sort order (default: name for pipelines, newest first for versions)')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'Only versions with this tag, KEY=VALUE (repeatable: all must match); with PIPELINE')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate (repeatable)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Time to wait for one server request, e.g. 10s, 1m; 0 waits forever')
            [CompletionResult]::new('--shared-namespace', '--shared-namespace', [CompletionResultType]::ParameterName, 'Shared namespace to resolve pipelines from (env KUBECTL_KFP_SHARED_NAMESPACE; default kubeflow; "" turns sharing off)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--no-headers', '--no-headers', [CompletionResultType]::ParameterName, 'Do not print the header row')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'List across all namespaces')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'List across all namespaces')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'After the table, print a row (or object) per change until interrupted (or --request-timeout passes): with PIPELINE per version created, changed or deleted; without, a pipeline''s row again when it or one of its versions changes')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'After the table, print a row (or object) per change until interrupted (or --request-timeout passes): with PIPELINE per version created, changed or deleted; without, a pipeline''s row again when it or one of its versions changes')
            [CompletionResult]::new('--watch-only', '--watch-only', [CompletionResultType]::ParameterName, 'Like --watch, without printing what exists already')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Skip TLS certificate verification (insecure; prints a warning)')
            [CompletionResult]::new('--no-shared', '--no-shared', [CompletionResultType]::ParameterName, 'Do not look in any shared namespace')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress on stderr (also KUBECTL_KFP_NO_PROGRESS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-kfp;ls' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Label selector, e.g. team=ml,tier!=dev')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Label selector, e.g. team=ml,tier!=dev')
            [CompletionResult]::new('--chunk-size', '--chunk-size', [CompletionResultType]::ParameterName, 'Read lists in pages of N objects, following continue tokens (0: one request). Without it, lists are streamed from the API server''s cache in one request, or read in pages of 500 where the server or your role does not allow streaming')
            [CompletionResult]::new('--sort-by', '--sort-by', [CompletionResultType]::ParameterName, 'Sort order (default: name for pipelines, newest first for versions)')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'Only versions with this tag, KEY=VALUE (repeatable: all must match); with PIPELINE')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate (repeatable)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Time to wait for one server request, e.g. 10s, 1m; 0 waits forever')
            [CompletionResult]::new('--shared-namespace', '--shared-namespace', [CompletionResultType]::ParameterName, 'Shared namespace to resolve pipelines from (env KUBECTL_KFP_SHARED_NAMESPACE; default kubeflow; "" turns sharing off)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--no-headers', '--no-headers', [CompletionResultType]::ParameterName, 'Do not print the header row')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'List across all namespaces')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'List across all namespaces')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'After the table, print a row (or object) per change until interrupted (or --request-timeout passes): with PIPELINE per version created, changed or deleted; without, a pipeline''s row again when it or one of its versions changes')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'After the table, print a row (or object) per change until interrupted (or --request-timeout passes): with PIPELINE per version created, changed or deleted; without, a pipeline''s row again when it or one of its versions changes')
            [CompletionResult]::new('--watch-only', '--watch-only', [CompletionResultType]::ParameterName, 'Like --watch, without printing what exists already')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Skip TLS certificate verification (insecure; prints a warning)')
            [CompletionResult]::new('--no-shared', '--no-shared', [CompletionResultType]::ParameterName, 'Do not look in any shared namespace')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress on stderr (also KUBECTL_KFP_NO_PROGRESS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-kfp;get' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Print the object instead of the summary')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Print the object instead of the summary')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate (repeatable)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Time to wait for one server request, e.g. 10s, 1m; 0 waits forever')
            [CompletionResult]::new('--shared-namespace', '--shared-namespace', [CompletionResultType]::ParameterName, 'Shared namespace to resolve pipelines from (env KUBECTL_KFP_SHARED_NAMESPACE; default kubeflow; "" turns sharing off)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--spec', '--spec', [CompletionResultType]::ParameterName, 'Print only the pipeline spec (and the platform spec as a second document), as `create -f` takes it')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Skip TLS certificate verification (insecure; prints a warning)')
            [CompletionResult]::new('--no-shared', '--no-shared', [CompletionResultType]::ParameterName, 'Do not look in any shared namespace')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress on stderr (also KUBECTL_KFP_NO_PROGRESS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-kfp;create' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Compiled pipeline: IR YAML/JSON or the SDK''s Kubernetes manifests; - reads stdin')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Compiled pipeline: IR YAML/JSON or the SDK''s Kubernetes manifests; - reads stdin')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Version name (default: the next free vN)')
            [CompletionResult]::new('--display-name', '--display-name', [CompletionResultType]::ParameterName, 'Display name of the version (and of the pipeline when it is created)')
            [CompletionResult]::new('--description', '--description', [CompletionResultType]::ParameterName, 'Description of the version (and of the pipeline when it is created)')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'Tag as KEY=VALUE (repeatable)')
            [CompletionResult]::new('--code-source-url', '--code-source-url', [CompletionResultType]::ParameterName, 'Where the pipeline''s source code lives')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'client: print what would be created; server: let the server check it without storing it')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of the result')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of the result')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate (repeatable)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Time to wait for one server request, e.g. 10s, 1m; 0 waits forever')
            [CompletionResult]::new('--shared-namespace', '--shared-namespace', [CompletionResultType]::ParameterName, 'Shared namespace to resolve pipelines from (env KUBECTL_KFP_SHARED_NAMESPACE; default kubeflow; "" turns sharing off)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--allow-duplicate', '--allow-duplicate', [CompletionResultType]::ParameterName, 'Create a version even when one with the same content exists')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Skip TLS certificate verification (insecure; prints a warning)')
            [CompletionResult]::new('--no-shared', '--no-shared', [CompletionResultType]::ParameterName, 'Do not look in any shared namespace')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress on stderr (also KUBECTL_KFP_NO_PROGRESS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-kfp;diff' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'A local compiled pipeline to compare with (twice: compare two files)')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'A local compiled pipeline to compare with (twice: compare two files)')
            [CompletionResult]::new('--context-b', '--context-b', [CompletionResultType]::ParameterName, 'Read REF_B from this kubeconfig context')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-U', '-U ', [CompletionResultType]::ParameterName, 'Lines of context in the text diff')
            [CompletionResult]::new('--unified', '--unified', [CompletionResultType]::ParameterName, 'Lines of context in the text diff')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate (repeatable)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Time to wait for one server request, e.g. 10s, 1m; 0 waits forever')
            [CompletionResult]::new('--shared-namespace', '--shared-namespace', [CompletionResultType]::ParameterName, 'Shared namespace to resolve pipelines from (env KUBECTL_KFP_SHARED_NAMESPACE; default kubeflow; "" turns sharing off)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--semantic', '--semantic', [CompletionResultType]::ParameterName, 'Show changes in pipeline terms (same as -o summary)')
            [CompletionResult]::new('--ignore-sdk-version', '--ignore-sdk-version', [CompletionResultType]::ParameterName, 'Ignore pipelineSpec.sdkVersion')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Skip TLS certificate verification (insecure; prints a warning)')
            [CompletionResult]::new('--no-shared', '--no-shared', [CompletionResultType]::ParameterName, 'Do not look in any shared namespace')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress on stderr (also KUBECTL_KFP_NO_PROGRESS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-kfp;promote' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Target namespace (default: the current namespace)')
            [CompletionResult]::new('--to-context', '--to-context', [CompletionResultType]::ParameterName, 'Target kubeconfig context (another cluster)')
            [CompletionResult]::new('--as-version', '--as-version', [CompletionResultType]::ParameterName, 'Version name in the target (default: the source''s version name)')
            [CompletionResult]::new('--as-name', '--as-name', [CompletionResultType]::ParameterName, 'Version name in the target (default: the source''s version name)')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'Tag the copy KEY=VALUE (repeatable), besides the tags it copies from the source')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'client: print the objects; server: let the server check them without storing them')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of the result')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of the result')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate (repeatable)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Time to wait for one server request, e.g. 10s, 1m; 0 waits forever')
            [CompletionResult]::new('--shared-namespace', '--shared-namespace', [CompletionResultType]::ParameterName, 'Shared namespace to resolve pipelines from (env KUBECTL_KFP_SHARED_NAMESPACE; default kubeflow; "" turns sharing off)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--to-shared', '--to-shared', [CompletionResultType]::ParameterName, 'Promote into the configured shared namespace')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Skip TLS certificate verification (insecure; prints a warning)')
            [CompletionResult]::new('--no-shared', '--no-shared', [CompletionResultType]::ParameterName, 'Do not look in any shared namespace')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress on stderr (also KUBECTL_KFP_NO_PROGRESS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-kfp;history' {
            [CompletionResult]::new('--contexts', '--contexts', [CompletionResultType]::ParameterName, 'Also look for copies in these kubeconfig contexts (comma-separated)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate (repeatable)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Time to wait for one server request, e.g. 10s, 1m; 0 waits forever')
            [CompletionResult]::new('--shared-namespace', '--shared-namespace', [CompletionResultType]::ParameterName, 'Shared namespace to resolve pipelines from (env KUBECTL_KFP_SHARED_NAMESPACE; default kubeflow; "" turns sharing off)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--no-headers', '--no-headers', [CompletionResultType]::ParameterName, 'Do not print the header row')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Skip TLS certificate verification (insecure; prints a warning)')
            [CompletionResult]::new('--no-shared', '--no-shared', [CompletionResultType]::ParameterName, 'Do not look in any shared namespace')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress on stderr (also KUBECTL_KFP_NO_PROGRESS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-kfp;drift' {
            [CompletionResult]::new('--contexts', '--contexts', [CompletionResultType]::ParameterName, 'Compare these kubeconfig contexts (comma-separated); the first one''s shared namespace is the baseline')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'States that make the exit status 1 (comma-separated)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate (repeatable)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Time to wait for one server request, e.g. 10s, 1m; 0 waits forever')
            [CompletionResult]::new('--shared-namespace', '--shared-namespace', [CompletionResultType]::ParameterName, 'Shared namespace to resolve pipelines from (env KUBECTL_KFP_SHARED_NAMESPACE; default kubeflow; "" turns sharing off)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Compare every namespace that holds pipelines (-n takes a comma-separated list instead)')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Compare every namespace that holds pipelines (-n takes a comma-separated list instead)')
            [CompletionResult]::new('--no-headers', '--no-headers', [CompletionResultType]::ParameterName, 'Do not print the header row')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Skip TLS certificate verification (insecure; prints a warning)')
            [CompletionResult]::new('--no-shared', '--no-shared', [CompletionResultType]::ParameterName, 'Do not look in any shared namespace')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress on stderr (also KUBECTL_KFP_NO_PROGRESS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-kfp;doctor' {
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'With --fix: client prints the repairs; server sends them as a server-side dry run')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate (repeatable)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Time to wait for one server request, e.g. 10s, 1m; 0 waits forever')
            [CompletionResult]::new('--shared-namespace', '--shared-namespace', [CompletionResultType]::ParameterName, 'Shared namespace to resolve pipelines from (env KUBECTL_KFP_SHARED_NAMESPACE; default kubeflow; "" turns sharing off)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Check the data of all namespaces (default: the namespace and the shared namespace)')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Check the data of all namespaces (default: the namespace and the shared namespace)')
            [CompletionResult]::new('--fix', '--fix', [CompletionResultType]::ParameterName, 'Repair what KFP''s webhook would have written: the pipeline labels and owner reference of versions whose Pipeline exists (asks first; never deletes)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'With --fix: do not ask for confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'With --fix: do not ask for confirmation')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Skip TLS certificate verification (insecure; prints a warning)')
            [CompletionResult]::new('--no-shared', '--no-shared', [CompletionResultType]::ParameterName, 'Do not look in any shared namespace')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress on stderr (also KUBECTL_KFP_NO_PROGRESS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-kfp;tag' {
            [CompletionResult]::new('--display-name', '--display-name', [CompletionResultType]::ParameterName, 'Set the version''s display name (spec.displayName)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'client: print the result without sending it; server: let the server check it without storing it')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of the result')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of the result')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate (repeatable)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Time to wait for one server request, e.g. 10s, 1m; 0 waits forever')
            [CompletionResult]::new('--shared-namespace', '--shared-namespace', [CompletionResultType]::ParameterName, 'Shared namespace to resolve pipelines from (env KUBECTL_KFP_SHARED_NAMESPACE; default kubeflow; "" turns sharing off)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--move', '--move', [CompletionResultType]::ParameterName, 'Remove each KEY=VALUE set here from every other version of the pipeline (an exclusive tag)')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Skip TLS certificate verification (insecure; prints a warning)')
            [CompletionResult]::new('--no-shared', '--no-shared', [CompletionResultType]::ParameterName, 'Do not look in any shared namespace')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress on stderr (also KUBECTL_KFP_NO_PROGRESS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-kfp;prune' {
            [CompletionResult]::new('--keep', '--keep', [CompletionResultType]::ParameterName, 'How many of the newest versions to keep')
            [CompletionResult]::new('--older-than', '--older-than', [CompletionResultType]::ParameterName, 'Delete only versions older than this, e.g. 30d, 12h, 1w2d')
            [CompletionResult]::new('--protect-tag', '--protect-tag', [CompletionResultType]::ParameterName, 'Keep only versions with this tag (KEY or KEY=VALUE, repeatable); default: every tagged version is kept')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'client: print the plan only; server: let the server check each delete without doing it')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate (repeatable)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Time to wait for one server request, e.g. 10s, 1m; 0 waits forever')
            [CompletionResult]::new('--shared-namespace', '--shared-namespace', [CompletionResultType]::ParameterName, 'Shared namespace to resolve pipelines from (env KUBECTL_KFP_SHARED_NAMESPACE; default kubeflow; "" turns sharing off)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Prune every pipeline of the namespace')
            [CompletionResult]::new('--include-sources', '--include-sources', [CompletionResultType]::ParameterName, 'Also delete versions that copies elsewhere were promoted from')
            [CompletionResult]::new('--skip-schedule-check', '--skip-schedule-check', [CompletionResultType]::ParameterName, 'Delete even when ScheduledWorkflows cannot be read (forbidden, or their CRD absent): a version a recurring run uses may go')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Skip TLS certificate verification (insecure; prints a warning)')
            [CompletionResult]::new('--no-shared', '--no-shared', [CompletionResultType]::ParameterName, 'Do not look in any shared namespace')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress on stderr (also KUBECTL_KFP_NO_PROGRESS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-kfp;config' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate (repeatable)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Time to wait for one server request, e.g. 10s, 1m; 0 waits forever')
            [CompletionResult]::new('--shared-namespace', '--shared-namespace', [CompletionResultType]::ParameterName, 'Shared namespace to resolve pipelines from (env KUBECTL_KFP_SHARED_NAMESPACE; default kubeflow; "" turns sharing off)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Skip TLS certificate verification (insecure; prints a warning)')
            [CompletionResult]::new('--no-shared', '--no-shared', [CompletionResultType]::ParameterName, 'Do not look in any shared namespace')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress on stderr (also KUBECTL_KFP_NO_PROGRESS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('view', 'view', [CompletionResultType]::ParameterValue, 'Print the effective settings and where each comes from')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Change a setting in the config file')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-kfp;config;view' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate (repeatable)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Time to wait for one server request, e.g. 10s, 1m; 0 waits forever')
            [CompletionResult]::new('--shared-namespace', '--shared-namespace', [CompletionResultType]::ParameterName, 'Shared namespace to resolve pipelines from (env KUBECTL_KFP_SHARED_NAMESPACE; default kubeflow; "" turns sharing off)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Skip TLS certificate verification (insecure; prints a warning)')
            [CompletionResult]::new('--no-shared', '--no-shared', [CompletionResultType]::ParameterName, 'Do not look in any shared namespace')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress on stderr (also KUBECTL_KFP_NO_PROGRESS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-kfp;config;set' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate (repeatable)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Time to wait for one server request, e.g. 10s, 1m; 0 waits forever')
            [CompletionResult]::new('--shared-namespace', '--shared-namespace', [CompletionResultType]::ParameterName, 'Shared namespace to resolve pipelines from (env KUBECTL_KFP_SHARED_NAMESPACE; default kubeflow; "" turns sharing off)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Skip TLS certificate verification (insecure; prints a warning)')
            [CompletionResult]::new('--no-shared', '--no-shared', [CompletionResultType]::ParameterName, 'Do not look in any shared namespace')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress on stderr (also KUBECTL_KFP_NO_PROGRESS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-kfp;config;help' {
            [CompletionResult]::new('view', 'view', [CompletionResultType]::ParameterValue, 'Print the effective settings and where each comes from')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Change a setting in the config file')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-kfp;config;help;view' {
            break
        }
        'kubectl-kfp;config;help;set' {
            break
        }
        'kubectl-kfp;config;help;help' {
            break
        }
        'kubectl-kfp;crds' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate (repeatable)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Time to wait for one server request, e.g. 10s, 1m; 0 waits forever')
            [CompletionResult]::new('--shared-namespace', '--shared-namespace', [CompletionResultType]::ParameterName, 'Shared namespace to resolve pipelines from (env KUBECTL_KFP_SHARED_NAMESPACE; default kubeflow; "" turns sharing off)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Skip TLS certificate verification (insecure; prints a warning)')
            [CompletionResult]::new('--no-shared', '--no-shared', [CompletionResultType]::ParameterName, 'Do not look in any shared namespace')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress on stderr (also KUBECTL_KFP_NO_PROGRESS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-kfp;version' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate (repeatable)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Time to wait for one server request, e.g. 10s, 1m; 0 waits forever')
            [CompletionResult]::new('--shared-namespace', '--shared-namespace', [CompletionResultType]::ParameterName, 'Shared namespace to resolve pipelines from (env KUBECTL_KFP_SHARED_NAMESPACE; default kubeflow; "" turns sharing off)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--client', '--client', [CompletionResultType]::ParameterName, 'Print only the client version')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Skip TLS certificate verification (insecure; prints a warning)')
            [CompletionResult]::new('--no-shared', '--no-shared', [CompletionResultType]::ParameterName, 'Do not look in any shared namespace')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress on stderr (also KUBECTL_KFP_NO_PROGRESS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-kfp;completion' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate (repeatable)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Time to wait for one server request, e.g. 10s, 1m; 0 waits forever')
            [CompletionResult]::new('--shared-namespace', '--shared-namespace', [CompletionResultType]::ParameterName, 'Shared namespace to resolve pipelines from (env KUBECTL_KFP_SHARED_NAMESPACE; default kubeflow; "" turns sharing off)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Skip TLS certificate verification (insecure; prints a warning)')
            [CompletionResult]::new('--no-shared', '--no-shared', [CompletionResultType]::ParameterName, 'Do not look in any shared namespace')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress on stderr (also KUBECTL_KFP_NO_PROGRESS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-kfp;__complete' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace to work in (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate (repeatable)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Time to wait for one server request, e.g. 10s, 1m; 0 waits forever')
            [CompletionResult]::new('--shared-namespace', '--shared-namespace', [CompletionResultType]::ParameterName, 'Shared namespace to resolve pipelines from (env KUBECTL_KFP_SHARED_NAMESPACE; default kubeflow; "" turns sharing off)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity (0-9); 6 and up log each request')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Skip TLS certificate verification (insecure; prints a warning)')
            [CompletionResult]::new('--no-shared', '--no-shared', [CompletionResultType]::ParameterName, 'Do not look in any shared namespace')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress on stderr (also KUBECTL_KFP_NO_PROGRESS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-kfp;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List pipelines of the namespace and the shared namespace, or the versions of one pipeline')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Show one pipeline version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a pipeline version from a compiled pipeline')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Compare two pipeline versions, or a version with a file (exit 1 when they differ)')
            [CompletionResult]::new('promote', 'promote', [CompletionResultType]::ParameterValue, 'Copy a pipeline version into another namespace or cluster')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Show where a version came from and where it was promoted to, across namespaces and clusters')
            [CompletionResult]::new('drift', 'drift', [CompletionResultType]::ParameterValue, 'Compare namespaces or clusters with the shared pipelines (exit 1 when something drifts)')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check what breaks KFP''s Kubernetes mode (API, webhooks, access, data); --fix repairs labels and owners')
            [CompletionResult]::new('tag', 'tag', [CompletionResultType]::ParameterValue, 'Set or remove tags (spec.tags) of a pipeline version, or its display name')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Delete old versions of a pipeline; never the latest, newest, tagged, scheduled or promoted-from ones')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show or change this plugin''s settings')
            [CompletionResult]::new('crds', 'crds', [CompletionResultType]::ParameterValue, 'Print the CustomResourceDefinitions this plugin expects (kubectl kfp crds | kubectl apply -f -)')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the client and server versions and whether the KFP resources are served')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('__complete', '__complete', [CompletionResultType]::ParameterValue, 'Print completion candidates for a partial command line (used by the completion scripts)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-kfp;help;list' {
            break
        }
        'kubectl-kfp;help;get' {
            break
        }
        'kubectl-kfp;help;create' {
            break
        }
        'kubectl-kfp;help;diff' {
            break
        }
        'kubectl-kfp;help;promote' {
            break
        }
        'kubectl-kfp;help;history' {
            break
        }
        'kubectl-kfp;help;drift' {
            break
        }
        'kubectl-kfp;help;doctor' {
            break
        }
        'kubectl-kfp;help;tag' {
            break
        }
        'kubectl-kfp;help;prune' {
            break
        }
        'kubectl-kfp;help;config' {
            [CompletionResult]::new('view', 'view', [CompletionResultType]::ParameterValue, 'Print the effective settings and where each comes from')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Change a setting in the config file')
            break
        }
        'kubectl-kfp;help;config;view' {
            break
        }
        'kubectl-kfp;help;config;set' {
            break
        }
        'kubectl-kfp;help;crds' {
            break
        }
        'kubectl-kfp;help;version' {
            break
        }
        'kubectl-kfp;help;completion' {
            break
        }
        'kubectl-kfp;help;__complete' {
            break
        }
        'kubectl-kfp;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
