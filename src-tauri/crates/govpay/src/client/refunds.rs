//! `GET /v1/refunds`: refunds across all payments.

use super::{Client, Pages, with_query};
use crate::error::Result;
use crate::models::{Refund, SearchPage};
use crate::search::RefundSearch;

/// The refunds search.
#[derive(Debug, Clone, Copy)]
pub struct Refunds<'a> {
    pub(super) client: &'a Client,
}

impl Refunds<'_> {
    /// `GET /v1/refunds`: one page, newest first.
    pub async fn search(&self, search: &RefundSearch) -> Result<SearchPage<Refund>> {
        search.validate()?;
        self.client
            .get(with_query(self.client.url("v1/refunds")?, search.query()))
            .await
    }

    pub fn search_all(&self, search: &RefundSearch) -> Pages<Refund> {
        let mut search = search.clone();
        search
            .paging
            .display_size
            .get_or_insert(crate::search::MAX_PAGE_SIZE);
        Pages::first(self.client, "v1/refunds", search.validate(), search.query())
    }
}
