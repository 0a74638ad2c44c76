//! Walking every page of a search by GOV.UK Pay's `next_page` links.

use serde::de::DeserializeOwned;
use url::Url;

use super::{Client, with_query};
use crate::error::Result;
use crate::models::{
    Agreement, Dispute, DisputeSearchPage, Payment, Refund, SearchNavigationLinks, SearchPage,
};
use crate::search::{MAX_PAGE_SIZE, Walkable};

/// A page type that carries paging links, whatever the key they come under.
pub trait Paged: DeserializeOwned {
    type Item;
    fn into_parts(self) -> (Vec<Self::Item>, SearchNavigationLinks, u64);
}

impl<T: DeserializeOwned> Paged for SearchPage<T> {
    type Item = T;
    fn into_parts(self) -> (Vec<T>, SearchNavigationLinks, u64) {
        (self.results, self.links, self.total)
    }
}

impl Paged for DisputeSearchPage {
    type Item = Dispute;
    fn into_parts(self) -> (Vec<Self::Item>, SearchNavigationLinks, u64) {
        (self.results, self.links, self.total)
    }
}

/// Maps an item type to the page type its search answers with.
pub trait PageOf {
    type Page: Paged<Item = Self>;
}

impl PageOf for Payment {
    type Page = SearchPage<Payment>;
}
impl PageOf for Refund {
    type Page = SearchPage<Refund>;
}
impl PageOf for Agreement {
    type Page = SearchPage<Agreement>;
}
impl PageOf for Dispute {
    type Page = DisputeSearchPage;
}

/// One page of a walk through a search.
#[derive(Debug)]
pub struct PageOfResults<T> {
    pub items: Vec<T>,
    /// How many results the whole search has.
    pub total: u64,
}

/// Every page of a search, in order, following GOV.UK Pay's `next_page` links.
#[derive(Debug)]
pub struct Pages<T> {
    client: Client,
    next: Option<Result<Url>>,
    _item: std::marker::PhantomData<fn() -> T>,
}

impl<T: PageOf> Pages<T> {
    /// Every page of `search` at `path`, 500 results a page unless it says.
    pub(super) fn all(client: &Client, path: &str, search: &impl Walkable) -> Self {
        let mut search = search.clone();
        search
            .paging_mut()
            .display_size
            .get_or_insert(MAX_PAGE_SIZE);
        let first = search
            .check()
            .and_then(|()| Ok(with_query(client.url(path)?, search.to_query())));
        Self::new(client.clone(), first)
    }

    fn new(client: Client, first: Result<Url>) -> Self {
        Self {
            client,
            next: Some(first),
            _item: std::marker::PhantomData,
        }
    }

    /// The next page, or `None` after the last one.
    pub async fn next(&mut self) -> Option<Result<PageOfResults<T>>> {
        let url = match self.next.take()? {
            Ok(url) => url,
            Err(e) => return Some(Err(e)),
        };
        let page: <T as PageOf>::Page = match self.client.get(url).await {
            Ok(p) => p,
            Err(e) => return Some(Err(e)),
        };
        let (items, links, total) = page.into_parts();
        if let Some(next) = links.next_page {
            self.next = Some(self.client.same_origin(&next.href));
        }
        Some(Ok(PageOfResults { items, total }))
    }

    /// Reads every page into one list (fine for small searches; a sync should page).
    pub async fn collect_all(mut self) -> Result<Vec<T>> {
        let mut all = Vec::new();
        while let Some(page) = self.next().await {
            all.extend(page?.items);
        }
        Ok(all)
    }
}
