//! `GET /v1/disputes`: disputes (chargebacks) raised by cardholders.

use super::{Client, Pages};
use crate::error::Result;
use crate::models::{Dispute, DisputeSearchPage};
use crate::search::DisputeSearch;

/// The disputes search (`GET /v1/disputes`; its paging key is `links`).
#[derive(Debug, Clone, Copy)]
pub struct Disputes<'a> {
    pub(super) client: &'a Client,
}

impl Disputes<'_> {
    pub async fn search(&self, search: &DisputeSearch) -> Result<DisputeSearchPage> {
        self.client.search_page("v1/disputes", search).await
    }

    pub fn search_all(&self, search: &DisputeSearch) -> Pages<Dispute> {
        Pages::all(self.client, "v1/disputes", search)
    }
}
