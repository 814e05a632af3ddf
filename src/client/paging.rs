//! Lists that follow continue tokens until the last page.

use std::fmt;

use anyhow::Result;
use kube::api::{Api, ListParams, ObjectList};
use serde::de::DeserializeOwned;

use super::explain::{Action, explain};

/// Lists every object matching `params`, following continue tokens page by page.
pub async fn list_pages<K>(api: &Api<K>, params: &ListParams) -> Result<Vec<K>, kube::Error>
where
    K: Clone + DeserializeOwned + fmt::Debug,
{
    let mut items = Vec::new();
    let mut params = params.clone();
    loop {
        let page: ObjectList<K> = api.list(&params).await?;
        items.extend(page.items);
        match page.metadata.continue_.filter(|token| !token.is_empty()) {
            Some(token) => params.continue_token = Some(token),
            None => return Ok(items),
        }
    }
}

/// [`list_pages`] with errors explained for the user.
pub async fn list_all<K>(
    api: &Api<K>,
    params: &ListParams,
    action: &Action<'_>,
    server: &str,
) -> Result<Vec<K>>
where
    K: Clone + DeserializeOwned + fmt::Debug,
{
    list_pages(api, params)
        .await
        .map_err(|err| explain(err, action, server))
}
