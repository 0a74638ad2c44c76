//! `/v1/agreements`: recurring-payment agreements.

use super::limiter::Group;
use super::{Call, Client, Pages};
use crate::error::Result;
use crate::ids::AgreementId;
use crate::models::{Agreement, SearchPage};
use crate::requests::CreateAgreement;
use crate::search::AgreementSearch;

/// Recurring-payment agreements.
#[derive(Debug, Clone, Copy)]
pub struct Agreements<'a> {
    pub(super) client: &'a Client,
}

impl Agreements<'_> {
    pub async fn create(&self, request: &CreateAgreement) -> Result<Agreement> {
        request.validate()?;
        self.client
            .post_json(
                "v1/agreements",
                request,
                Call::post(Group::OtherPost, "agreement creation"),
                None,
            )
            .await
    }

    pub async fn get(&self, id: &AgreementId) -> Result<Agreement> {
        self.client
            .get(self.client.url(&format!("v1/agreements/{id}"))?)
            .await
    }

    pub async fn cancel(&self, id: &AgreementId) -> Result<()> {
        self.client
            .post_empty(
                &format!("v1/agreements/{id}/cancel"),
                Call::post(Group::OtherPost, "agreement cancellation"),
            )
            .await
    }

    pub async fn search(&self, search: &AgreementSearch) -> Result<SearchPage<Agreement>> {
        self.client.search_page("v1/agreements", search).await
    }

    pub fn search_all(&self, search: &AgreementSearch) -> Pages<Agreement> {
        Pages::all(self.client, "v1/agreements", search)
    }
}
