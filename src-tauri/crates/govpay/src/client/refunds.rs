//! `GET /v1/refunds`: refunds across all payments.

use super::{Client, Pages};
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
        self.client.search_page("v1/refunds", search).await
    }

    pub fn search_all(&self, search: &RefundSearch) -> Pages<Refund> {
        Pages::all(self.client, "v1/refunds", search)
    }
}
