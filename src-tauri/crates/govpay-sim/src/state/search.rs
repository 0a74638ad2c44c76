//! The four searches, eventually consistent like GOV.UK Pay's ledger.

use super::*;

impl State {
    /// How search sees payment `idx` now (eventual consistency): `None` if not yet at all.
    pub(super) fn ledger_view(&self, idx: usize, now: Instant) -> Option<&SimPayment> {
        match self.ledger_lag.get(&idx) {
            Some(lag) if lag.visible_at > now => lag.before.as_deref(),
            _ => Some(&self.payments[idx]),
        }
    }

    pub fn search_payments(
        &self,
        account: u32,
        query: &HashMap<String, String>,
    ) -> ApiResult<SearchPage<Payment>> {
        // Settled dates count only once the payout has happened.
        let today = self.clock.now();
        let mut errors = QueryErrors::default();
        let (page, size) = validate::paging(query, &mut errors);
        let text = |name: &'static str, max: usize, errors: &mut QueryErrors| -> Option<String> {
            let v = query.get(name)?;
            if validate::java_len(v) > max {
                errors.push(name);
            }
            Some(v.to_lowercase())
        };
        let reference = text("reference", 255, &mut errors);
        let email = text("email", 254, &mut errors);
        let card_brand = text("card_brand", 20, &mut errors);
        let holder = text("cardholder_name", 255, &mut errors);
        let agreement_id = query.get("agreement_id").cloned();
        // Lower case only, as the API's validator takes them.
        let state = query.get("state").cloned();
        if let Some(s) = &state
            && ![
                "created",
                "started",
                "submitted",
                "success",
                "failed",
                "cancelled",
                "error",
            ]
            .contains(&s.as_str())
        {
            errors.push("state");
        }
        let digits = |name: &'static str, len: usize, errors: &mut QueryErrors| -> Option<String> {
            let v = query.get(name)?;
            if v.len() != len || !v.bytes().all(|b| b.is_ascii_digit()) {
                errors.push(name);
            }
            Some(v.clone())
        };
        let first6 = digits("first_digits_card_number", 6, &mut errors);
        let last4 = digits("last_digits_card_number", 4, &mut errors);
        let (from, to) = time_range(query, &mut errors);
        let (from_settled, to_settled) = date_range(query, &mut errors);
        errors.finish("P0401")?;

        let now = Instant::now();
        let ids = self
            .by_account
            .get(&account)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        // An account's payments are kept in creation order: a date range is a slice,
        // found by binary search rather than a scan (as the ledger's index would).
        let ids = {
            let lo = from.map_or(0, |f| {
                ids.partition_point(|&i| self.payments[i].created < f)
            });
            let hi = to.map_or(ids.len(), |t| {
                ids.partition_point(|&i| self.payments[i].created < t)
            });
            &ids[lo..hi.max(lo)]
        };
        let matches = |p: &SimPayment| -> bool {
            reference
                .as_ref()
                .is_none_or(|r| p.reference.to_lowercase() == *r)
                && email.as_ref().is_none_or(|e| {
                    p.email
                        .as_ref()
                        .is_some_and(|pe| pe.to_lowercase().contains(e.as_str()))
                })
                && state.as_ref().is_none_or(|s| p.status.external().0 == s)
                && card_brand
                    .as_ref()
                    .is_none_or(|b| p.card.as_ref().is_some_and(|c| c.brand_slug() == b))
                && holder.as_ref().is_none_or(|h| {
                    p.card
                        .as_ref()
                        .is_some_and(|c| c.holder.to_lowercase().contains(h.as_str()))
                })
                && first6
                    .as_ref()
                    .is_none_or(|f| p.card.as_ref().is_some_and(|c| &c.first6 == f))
                && last4
                    .as_ref()
                    .is_none_or(|l| p.card.as_ref().is_some_and(|c| &c.last4 == l))
                && from.is_none_or(|f| p.created >= f)
                && to.is_none_or(|t| p.created < t)
                && agreement_id
                    .as_ref()
                    .is_none_or(|a| p.agreement_id.as_ref() == Some(a))
                && (from_settled.is_none() && to_settled.is_none() || {
                    p.settled(today).is_some_and(|s| {
                        from_settled.is_none_or(|f| s >= f)
                            && to_settled.is_none_or(|t| s < t + time::Duration::days(1))
                    })
                })
        };
        let unfiltered = query.keys().all(|k| k == "page" || k == "display_size");
        let visible = ids.iter().rev().filter_map(|&i| self.ledger_view(i, now));
        let (total, results) = if unfiltered && self.ledger_lag.is_empty() {
            // The sync's case: no filter, so the page is a slice of the account's list.
            let total = ids.len() as u64;
            let skip = ((page - 1) * size) as usize;
            let results = ids
                .iter()
                .rev()
                .skip(skip)
                .take(size as usize)
                .map(|&i| {
                    self.payments[i].wire(
                        &self.base_url,
                        View::Search,
                        None,
                        &self.refunds,
                        &self.disputes,
                        today,
                    )
                })
                .collect::<Vec<_>>();
            (total, results)
        } else {
            let mut total = 0u64;
            let mut results = Vec::new();
            let skip = (page - 1) * size;
            for p in visible.filter(|p| matches(p)) {
                if total >= skip && (results.len() as u64) < size {
                    results.push(p.wire(
                        &self.base_url,
                        View::Search,
                        None,
                        &self.refunds,
                        &self.disputes,
                        today,
                    ));
                }
                total += 1;
            }
            (total, results)
        };
        let links = self
            .paging_links("v1/payments", query, page, size, total, false)
            .map_err(|()| ApiError::new(404, "P0402", "Page not found"))?;
        Ok(SearchPage {
            total,
            count: results.len() as u64,
            page,
            results,
            links,
        })
    }

    pub fn search_refunds(
        &self,
        account: u32,
        query: &HashMap<String, String>,
    ) -> ApiResult<SearchPage<Refund>> {
        // Settled dates count only once the payout has happened.
        let today = self.clock.now();
        let mut errors = QueryErrors::default();
        let (page, size) = validate::paging(query, &mut errors);
        let (from, to) = time_range(query, &mut errors);
        let (from_settled, to_settled) = date_range(query, &mut errors);
        errors.finish("P1101")?;
        let now = Instant::now();
        let ids = self
            .refunds_by_account
            .get(&account)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let ids = {
            let lo = from.map_or(0, |f| ids.partition_point(|&i| self.refunds[i].created < f));
            let hi = to.map_or(ids.len(), |t| {
                ids.partition_point(|&i| self.refunds[i].created < t)
            });
            &ids[lo..hi.max(lo)]
        };
        let mut total = 0u64;
        let mut results = Vec::new();
        let skip = (page - 1) * size;
        for r in ids
            .iter()
            .rev()
            .map(|&i| &self.refunds[i])
            .filter(|r| r.visible_at <= now)
        {
            let p = &self.payments[r.payment];
            let settled = r.settled(p.provider == "stripe", today);
            let ok = from.is_none_or(|f| r.created >= f)
                && to.is_none_or(|t| r.created < t)
                && (from_settled.is_none() && to_settled.is_none()
                    || settled.is_some_and(|s| {
                        from_settled.is_none_or(|f| s >= f)
                            && to_settled.is_none_or(|t| s < t + time::Duration::days(1))
                    }));
            if !ok {
                continue;
            }
            if total >= skip && (results.len() as u64) < size {
                results.push(r.wire(&self.base_url, &p.id, settled));
            }
            total += 1;
        }
        let links = self
            .paging_links("v1/refunds", query, page, size, total, true)
            .map_err(|()| ApiError::new(404, "P1100", "Page not found"))?;
        Ok(SearchPage {
            total,
            count: results.len() as u64,
            page,
            results,
            links,
        })
    }

    pub fn search_disputes(
        &self,
        account: u32,
        query: &HashMap<String, String>,
    ) -> ApiResult<DisputeSearchPage> {
        let mut errors = QueryErrors::default();
        let (page, size) = validate::paging(query, &mut errors);
        let (from, to) = time_range(query, &mut errors);
        let (from_settled, to_settled) = date_range(query, &mut errors);
        let status = query.get("status").cloned();
        if let Some(s) = &status
            && !["needs_response", "under_review", "lost", "won"].contains(&s.as_str())
        {
            // The API reports a bad dispute status under the name `state`.
            errors.push("state");
        }
        errors.finish("P0401")?;
        let ids = self
            .disputes_by_account
            .get(&account)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let ids = {
            let lo = from.map_or(0, |f| {
                ids.partition_point(|&i| self.disputes[i].created < f)
            });
            let hi = to.map_or(ids.len(), |t| {
                ids.partition_point(|&i| self.disputes[i].created < t)
            });
            &ids[lo..hi.max(lo)]
        };
        let mut total = 0u64;
        let mut results: Vec<Dispute> = Vec::new();
        let skip = (page - 1) * size;
        for d in ids.iter().rev().map(|&i| &self.disputes[i]) {
            let ok = status.as_ref().is_none_or(|s| d.status == s)
                && from.is_none_or(|f| d.created >= f)
                && to.is_none_or(|t| d.created < t)
                && (from_settled.is_none() && to_settled.is_none()
                    || d.settled.is_some_and(|s| {
                        from_settled.is_none_or(|f| s >= f)
                            && to_settled.is_none_or(|t| s < t + time::Duration::days(1))
                    }));
            if !ok {
                continue;
            }
            if total >= skip && (results.len() as u64) < size {
                results.push(d.wire(&self.base_url, &self.payments[d.payment].id));
            }
            total += 1;
        }
        let links = self
            .paging_links("v1/disputes", query, page, size, total, true)
            .map_err(|()| ApiError::new(404, "P0402", "Page not found"))?;
        Ok(DisputeSearchPage {
            total,
            count: results.len() as u64,
            page,
            results,
            links,
        })
    }

    pub fn search_agreements(
        &self,
        account: u32,
        query: &HashMap<String, String>,
    ) -> ApiResult<SearchPage<Agreement>> {
        let mut errors = QueryErrors::default();
        for key in query.keys() {
            if !["reference", "status", "page", "display_size"].contains(&key.as_str())
                && !query[key].trim().is_empty()
            {
                return Err(ApiError::new(
                    400,
                    "P2401",
                    format!(
                        "Invalid parameters: {key}. See Public API documentation for the correct data formats"
                    ),
                ));
            }
        }
        let (page, size) = validate::paging(query, &mut errors);
        let reference = query.get("reference").cloned();
        if reference
            .as_ref()
            .is_some_and(|r| validate::java_len(r) > 255)
        {
            errors.push("reference");
        }
        let status = query.get("status").cloned();
        if let Some(s) = &status
            && !["created", "active", "cancelled", "inactive"].contains(&s.as_str())
        {
            errors.push("status");
        }
        errors.finish("P2401")?;
        let mut total = 0u64;
        let mut results = Vec::new();
        let skip = (page - 1) * size;
        for a in self
            .agreements
            .iter()
            .rev()
            .filter(|a| a.account == account)
        {
            let ok = reference.as_ref().is_none_or(|r| a.reference == *r)
                && status.as_ref().is_none_or(|s| a.status == s);
            if !ok {
                continue;
            }
            if total >= skip && (results.len() as u64) < size {
                results.push(a.wire());
            }
            total += 1;
        }
        let links = self
            .paging_links("v1/agreements", query, page, size, total, true)
            .map_err(|()| ApiError::new(404, "P2402", "Page not found"))?;
        Ok(SearchPage {
            total,
            count: results.len() as u64,
            page,
            results,
            links,
        })
    }

    /// Paging links that repeat the query; `Err` for a page past the last.
    pub(super) fn paging_links(
        &self,
        path: &str,
        query: &HashMap<String, String>,
        page: u64,
        size: u64,
        total: u64,
        with_method: bool,
    ) -> Result<SearchNavigationLinks, ()> {
        let last = total.div_ceil(size).max(1);
        if page > last {
            return Err(());
        }
        let mut params: Vec<(&String, &String)> = query
            .iter()
            .filter(|(k, _)| k.as_str() != "page" && k.as_str() != "display_size")
            .collect();
        params.sort();
        let href = |n: u64| {
            let mut u = format!("{}/{path}?", self.base_url);
            for (k, v) in &params {
                u.push_str(&format!("{}={}&", url_escape(k), url_escape(v)));
            }
            u.push_str(&format!("display_size={size}&page={n}"));
            Link {
                href: u,
                method: with_method.then(|| "GET".to_owned()),
            }
        };
        Ok(SearchNavigationLinks {
            self_: Some(href(page)),
            first_page: Some(href(1)),
            last_page: Some(href(last)),
            prev_page: (page > 1).then(|| href(page - 1)),
            next_page: (page < last).then(|| href(page + 1)),
        })
    }
}

pub(super) fn url_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub(super) fn time_range(
    query: &HashMap<String, String>,
    errors: &mut QueryErrors,
) -> (Option<OffsetDateTime>, Option<OffsetDateTime>) {
    let mut get = |name: &'static str| {
        let v = query.get(name)?;
        let t = parse_search_time(v);
        if t.is_none() {
            errors.push(name);
        }
        t
    };
    (get("from_date"), get("to_date"))
}

pub(super) fn date_range(
    query: &HashMap<String, String>,
    errors: &mut QueryErrors,
) -> (Option<OffsetDateTime>, Option<OffsetDateTime>) {
    let mut get = |name: &'static str| {
        let v = query.get(name)?;
        let t = parse_search_date(v);
        if t.is_none() {
            errors.push(name);
        }
        t
    };
    (get("from_settled_date"), get("to_settled_date"))
}
