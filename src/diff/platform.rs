//! Platform settings: the Kubernetes platform spec, compared per task (through its executor) and
//! for executors no compared task uses.

use std::borrow::Cow;

use serde_json::Value;

use super::change::{Op, Scope, entity_change};
use super::semantic::Differ;
use super::view::{Loc, RANK_PLATFORM, View, compare_views, escape, keyed_entries, zip_maps};
use super::{NEW, OLD};

pub(super) fn platform_executor_pointer(label: &str) -> String {
    format!("/platforms/kubernetes/deploymentSpec/executors/{}", escape(label))
}

impl<'a> Differ<'a> {
    /// Platform settings of one task's executor (or of an executor no compared task uses).
    pub(super) fn platform_config(&mut self, name: &str, configs: [Option<(&'a Value, String)>; 2]) {
        let views = configs.each_ref().map(|config| {
            let mut view = View::default();
            if let Some((value, pointer)) = config {
                add_platform_fields(
                    &mut view,
                    value,
                    Loc::Root {
                        part: "platform",
                        pointer,
                    },
                );
            }
            view
        });
        let before = self.changes.len();
        compare_views(&views[OLD], &views[NEW], Scope::Platform, name, &mut self.changes);
        let [old, new] = configs.map(|config| config.map(|(value, _)| value));
        // Settings without fields (`{}`, `nodeSelector: {}`) appeared or went: say so as a whole.
        if self.changes.len() == before && old != new {
            let op = match (old, new) {
                (None, _) => Op::Added,
                (_, None) => Op::Removed,
                _ => Op::Changed,
            };
            let change = entity_change(op, Scope::Platform, name, old.cloned(), new.cloned(), None);
            self.changes.push(change);
        }
    }

    pub(super) fn platform(&mut self) {
        let platforms = [OLD, NEW].map(|side| self.sides[side].platform_spec);
        if platforms == [None, None] {
            return;
        }
        let Some(top) = self.maps(Scope::Platform, "", platforms[OLD], platforms[NEW], "") else {
            return;
        };
        self.rest(Scope::Platform, "", top, "", &["platforms"]);
        let all = top.map(|map| map.and_then(|m| m.get("platforms")));
        let Some(all) = self.maps(Scope::Platform, "", all[OLD], all[NEW], "/platforms") else {
            return;
        };
        for (platform, old, new) in zip_maps(all[OLD], all[NEW]) {
            if platform != "kubernetes" {
                let pointer = format!("/platforms/{}", escape(platform));
                self.generic(Scope::Platform, platform, old, new, &pointer);
            }
        }
        let kubernetes = all.map(|map| map.and_then(|m| m.get("kubernetes")));
        let pointer = "/platforms/kubernetes";
        let Some(kubernetes) = self.maps(
            Scope::Platform,
            "kubernetes",
            kubernetes[OLD],
            kubernetes[NEW],
            pointer,
        ) else {
            return;
        };
        self.rest(
            Scope::Platform,
            "kubernetes",
            kubernetes,
            pointer,
            &["deploymentSpec"],
        );
        let deployment = kubernetes.map(|map| map.and_then(|m| m.get("deploymentSpec")));
        let pointer = "/platforms/kubernetes/deploymentSpec";
        let Some(deployment) = self.maps(
            Scope::Platform,
            "kubernetes",
            deployment[OLD],
            deployment[NEW],
            pointer,
        ) else {
            return;
        };
        self.rest(Scope::Platform, "kubernetes", deployment, pointer, &["executors"]);
        let executors = deployment.map(|map| map.and_then(|m| m.get("executors")));
        let pointer = "/platforms/kubernetes/deploymentSpec/executors";
        let Some(executors) = self.maps(
            Scope::Platform,
            "kubernetes",
            executors[OLD],
            executors[NEW],
            pointer,
        ) else {
            return;
        };
        for (label, old, new) in zip_maps(executors[OLD], executors[NEW]) {
            // Entries of executors some task uses were compared with that task.
            let old = old.filter(|_| !self.reach[OLD].executors.contains(label));
            let new = new.filter(|_| !self.reach[NEW].executors.contains(label));
            if old.is_some() || new.is_some() {
                let pointer = platform_executor_pointer(label);
                self.platform_config(
                    label,
                    [
                        old.map(|v| (v, pointer.clone())),
                        new.map(|v| (v, pointer.clone())),
                    ],
                );
            }
        }
    }
}

/// Kubernetes executor settings of the KFP platform spec whose entries have an id.
const PLATFORM_KEYED_LISTS: &[(&str, &[&str])] = &[
    (
        "secretAsEnv",
        &["/secretName", "/secretNameParameter/runtimeValue/constant"],
    ),
    ("secretAsVolume", &["/mountPath"]),
    (
        "configMapAsEnv",
        &["/configMapName", "/configMapNameParameter/runtimeValue/constant"],
    ),
    ("configMapAsVolume", &["/mountPath"]),
    ("pvcMount", &["/mountPath"]),
    ("emptyDirMounts", &["/mountPath"]),
    ("genericEphemeralVolume", &["/mountPath", "/volumeName"]),
    (
        "imagePullSecret",
        &["/secretName", "/secretNameParameter/runtimeValue/constant"],
    ),
    ("fieldPathAsEnv", &["/name"]),
    ("tolerations", &["/key"]),
];
/// Kubernetes executor settings compared whole.
const PLATFORM_PLAIN: &[&str] = &[
    "imagePullPolicy",
    "activeDeadlineSeconds",
    "enabledSharedMemory",
    "nodeAffinity",
    "podAffinity",
];

fn add_platform_fields<'a>(view: &mut View<'a>, config: &'a Value, loc: Loc) {
    view.entries(config, loc, |view, key, value| {
        let here = loc.child(key);
        match key {
            "nodeSelector" => view.entries(value, here, |view, inner, labels| {
                inner == "labels" && {
                    let labels_loc = here.child(inner);
                    view.entries(labels, labels_loc, |view, label, value| {
                        let name = format!("nodeSelector[{label}]");
                        view.set(RANK_PLATFORM, name, Cow::Borrowed(value), labels_loc.child(label));
                        true
                    });
                    true
                }
            }),
            "podMetadata" => view.entries(value, here, |view, inner, entries| {
                if inner != "labels" && inner != "annotations" {
                    return false;
                }
                let inner_loc = here.child(inner);
                view.entries(entries, inner_loc, |view, entry, value| {
                    let name = format!("podMetadata.{inner}[{entry}]");
                    view.set(RANK_PLATFORM, name, Cow::Borrowed(value), inner_loc.child(entry));
                    true
                });
                true
            }),
            _ => {
                if let Some((list, ids)) = PLATFORM_KEYED_LISTS.iter().find(|(list, _)| *list == key) {
                    match keyed_entries(value, ids) {
                        Some(entries) => {
                            for (index, (id, entry)) in entries.into_iter().enumerate() {
                                let name = format!("{list}[{id}]");
                                view.set(RANK_PLATFORM, name, Cow::Borrowed(entry), here.index(index));
                            }
                        }
                        None => view.set(RANK_PLATFORM, *list, Cow::Borrowed(value), here),
                    }
                } else if let Some(plain) = PLATFORM_PLAIN.iter().find(|plain| **plain == key) {
                    view.set(RANK_PLATFORM, *plain, Cow::Borrowed(value), here);
                } else {
                    return false;
                }
            }
        }
        true
    });
}

#[cfg(test)]
mod tests {
    use crate::diff::Options;
    use crate::diff::test_support::*;
    use serde_json::json;

    #[test]
    fn platform_changes_are_reported_per_task_and_setting() {
        let old = load("variants/with_platform.yaml");
        let mut new = old.clone();
        let executor = "/platforms/kubernetes/deploymentSpec/executors/exec-fetch";
        edit(
            &mut new[1],
            &format!("{executor}/nodeSelector/labels/gpu"),
            Some(json!("false")),
        );
        edit(&mut new[1], &format!("{executor}/secretAsEnv"), Some(json!([])));
        edit(
            &mut new[1],
            &format!("{executor}/pvcMount/0/mountPath"),
            Some(json!("/scratch")),
        );
        edit(
            &mut new[1],
            &format!("{executor}/tolerations"),
            Some(json!([{"key": "gpu", "operator": "Exists"}])),
        );
        assert_eq!(
            summary_of(&old, &new),
            "~ platform fetch: nodeSelector[gpu] \"true\" → \"false\"\n\
             - platform fetch: pvcMount[/cache]\n\
             + platform fetch: pvcMount[/scratch] (5 lines)\n\
             - platform fetch: secretAsEnv[s3-creds]\n\
             + platform fetch: tolerations[gpu] {key: gpu, operator: Exists}\n"
        );
        check_consistent(&side("a", &old), &side("b", &new), &Options::default());

        // A platform spec that appears: every setting is new.
        let bare = vec![old[0].clone()];
        assert_eq!(
            summary_of(&bare, &old)
                .lines()
                .map(|line| line.split(' ').take(3).collect::<Vec<_>>().join(" "))
                .collect::<Vec<_>>(),
            ["+ platform fetch:", "+ platform fetch:", "+ platform fetch:"]
        );
        check_consistent(&side("a", &bare), &side("b", &old), &Options::default());
    }

    #[test]
    fn platform_settings_outside_executors_are_reported_generically() {
        let old = load("variants/with_platform.yaml");
        let mut new = old.clone();
        edit(
            &mut new[1],
            "/platforms/kubernetes/pipelineConfig",
            Some(json!({"workspace": {"size": "10Gi"}})),
        );
        edit(
            &mut new[1],
            "/platforms/kubernetes/deploymentSpec/executors/exec-fetch/futureSetting",
            Some(json!(true)),
        );
        assert_eq!(
            summary_of(&old, &new),
            "+ platform fetch: /platforms/kubernetes/deploymentSpec/executors/exec-fetch/futureSetting true\n\
             + platform kubernetes: /platforms/kubernetes/pipelineConfig {workspace: {size: 10Gi}}\n"
        );
    }
}
