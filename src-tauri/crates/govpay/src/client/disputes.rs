//! `GET /v1/disputes`: disputes (chargebacks) raised by cardholders.

use super::{Client, Pages, with_query};
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
        search.validate()?;
        self.client
            .get(with_query(self.client.url("v1/disputes")?, search.query()))
            .await
    }

    pub fn search_all(&self, search: &DisputeSearch) -> Pages<Dispute> {
        let mut search = search.clone();
        search
            .paging
            .display_size
            .get_or_insert(crate::search::MAX_PAGE_SIZE);
        Pages::first(
            self.client,
            "v1/disputes",
            search.validate(),
            search.query(),
        )
    }
}
