//! Finding payments: from the cache as staff type, or from GOV.UK Pay live.

use govpay::PaymentId;
use govpay::search::{Paging, PaymentSearch};
use time::OffsetDateTime;

use crate::Core;
use crate::error::{CoreError, FieldError};
use crate::roles::Permission;
pub use crate::store::search::{
    DisputeFilter, PaymentQuery, PaymentResults, PaymentRow, RAW_STATES, RefundFilter, SearchText,
    SortBy, StatusFilter, StatusGroup,
};

/// The longest search-box text: longer is no reference, email or name.
const MAX_TEXT: usize = 200;
/// The last page a search can ask for: 200 a page, 10,000,000 payments.
const MAX_PAGE: u32 = 50_000;
/// The most a GOV.UK Pay payment can be, in pence (£100,000).
const MAX_AMOUNT: i64 = 10_000_000;
/// More card brands than GOV.UK Pay knows are not a filter.
const MAX_BRANDS: usize = 20;

impl PaymentQuery {
    /// Every field in trouble, named; checked before any search.
    pub(crate) fn validate(&self) -> Result<(), CoreError> {
        let mut errors = Vec::new();
        let digits = |v: &Option<String>, n: usize| {
            v.as_ref()
                .is_none_or(|s| s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
        };
        if !digits(&self.first6, 6) {
            errors.push(FieldError::new(
                "first6",
                "Enter the first 6 digits of the card number",
            ));
        }
        if !digits(&self.last4, 4) {
            errors.push(FieldError::new(
                "last4",
                "Enter the last 4 digits of the card number",
            ));
        }
        if let Some(s) = &self.state
            && StatusGroup::parse_filter(s).is_none()
        {
            errors.push(FieldError::new(
                "state",
                "Choose a payment status from the list",
            ));
        }
        if self
            .states
            .iter()
            .any(|s| StatusGroup::parse_filter(s).is_none())
            || self.states.len() > StatusGroup::ALL.len() + RAW_STATES.len()
        {
            errors.push(FieldError::new(
                "states",
                "Choose payment statuses from the list",
            ));
        }
        if self.card_brands.len() > MAX_BRANDS
            || self
                .card_brands
                .iter()
                .any(|b| b.trim().is_empty() || b.chars().count() > 50)
        {
            errors.push(FieldError::new(
                "cardBrands",
                "Choose card brands from the list",
            ));
        }
        for (field, amount) in [
            ("amountFrom", self.amount_from),
            ("amountTo", self.amount_to),
        ] {
            if amount.is_some_and(|a| !(0..=MAX_AMOUNT).contains(&a)) {
                errors.push(FieldError::new(
                    field,
                    "Enter an amount from £0.00 to £100,000.00",
                ));
            }
        }
        if let (Some(from), Some(to)) = (self.amount_from, self.amount_to)
            && from > to
            && (0..=MAX_AMOUNT).contains(&from)
            && (0..=MAX_AMOUNT).contains(&to)
        {
            errors.push(FieldError::new(
                "amountFrom",
                "The lowest amount must not be more than the highest",
            ));
        }
        if let (Some(from), Some(to)) = (self.from_ms, self.to_ms)
            && from >= to
        {
            errors.push(FieldError::new(
                "fromDate",
                "The start date must be before the end date",
            ));
        }
        if self
            .text
            .as_deref()
            .is_some_and(|t| t.chars().count() > MAX_TEXT)
        {
            errors.push(FieldError::new(
                "text",
                format!("Enter {MAX_TEXT} characters or fewer to search for"),
            ));
        }
        if self.page > MAX_PAGE {
            errors.push(FieldError::new(
                "page",
                format!(
                    "There is no page {}: choose a page from 1 to {MAX_PAGE}",
                    self.page
                ),
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(CoreError::Validation(errors))
        }
    }
}

fn time_from_ms(ms: i64, field: &str) -> Result<OffsetDateTime, CoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|_| CoreError::Validation(vec![FieldError::new(field, "Enter a real date")]))
}

/// What the search box's text most likely is, for GOV.UK Pay's exact-match filters.
fn live_filters(query: &PaymentQuery) -> Result<(Option<PaymentId>, PaymentSearch), CoreError> {
    // GOV.UK Pay's own search takes one status and one brand, and no amount,
    // refund or dispute: each is refused by name rather than left out.
    // `state` and `states` (and the two brand fields) together are one list.
    fn one_of<'q>(one: &'q Option<String>, many: &'q [String]) -> Vec<&'q String> {
        let mut all: Vec<&String> = one.iter().chain(many).collect();
        all.sort();
        all.dedup();
        all
    }
    let states = one_of(&query.state, &query.states);
    let brands = one_of(&query.card_brand, &query.card_brands);
    let mut refused = Vec::new();
    if states.len() > 1 {
        refused.push(("states", "more than one payment status at a time"));
    }
    if brands.len() > 1 {
        refused.push(("cardBrands", "more than one card brand at a time"));
    }
    if query.amount_from.is_some() || query.amount_to.is_some() {
        refused.push(("amountFrom", "by amount"));
    }
    if query.refunds.is_some() {
        refused.push(("refunds", "by refunds"));
    }
    if query.dispute.is_some() {
        refused.push(("dispute", "by disputes"));
    }
    if !refused.is_empty() {
        return Err(CoreError::Validation(
            refused
                .into_iter()
                .map(|(field, what)| {
                    FieldError::new(
                        field,
                        format!(
                            "GOV.UK Pay's live search cannot filter {what}: search this computer's payments instead"
                        ),
                    )
                })
                .collect(),
        ));
    }
    let one_state = states.first().map(|s| (*s).clone());
    let one_brand = brands.first().map(|b| (*b).clone());
    let mut search = PaymentSearch {
        reference: query.reference.clone(),
        email: query.email.clone(),
        cardholder_name: query.cardholder_name.clone(),
        first_digits_card_number: query.first6.clone(),
        last_digits_card_number: query.last4.clone(),
        card_brand: one_brand.as_ref().map(|b| b.to_lowercase()),
        ..PaymentSearch::default()
    };
    if let Some(state) = &one_state {
        // GOV.UK Pay's search takes one of its own states: a group is asked for
        // by the state that holds it (if one does) and narrowed down here.
        let api_state = match StatusGroup::parse_filter(state) {
            Some(StatusFilter::Group(g)) => match g {
                StatusGroup::InProgress | StatusGroup::Capturable => None,
                StatusGroup::Declined | StatusGroup::TimedOut | StatusGroup::CancelledByPayer => {
                    Some("failed")
                }
                StatusGroup::Success => Some("success"),
                StatusGroup::Cancelled => Some("cancelled"),
                StatusGroup::Error => Some("error"),
            },
            Some(StatusFilter::Raw(s)) => Some(s),
            None => {
                return Err(CoreError::Validation(vec![FieldError::new(
                    "state",
                    "Choose a payment status from the list",
                )]));
            }
        };
        if let Some(s) = api_state {
            search.state = Some(s.parse().map_err(|_: govpay::Error| {
                CoreError::Validation(vec![FieldError::new(
                    "state",
                    "GOV.UK Pay's live search cannot filter by this status: search the cache instead",
                )])
            })?);
        }
    }
    if let Some(ms) = query.from_ms {
        search.from_date = Some(time_from_ms(ms, "fromDate")?);
    }
    if let Some(ms) = query.to_ms {
        search.to_date = Some(time_from_ms(ms, "toDate")?);
    }
    if let Some(a) = &query.agreement_id {
        search.agreement_id = Some(govpay::AgreementId::parse(a).map_err(|e| {
            CoreError::Validation(vec![FieldError::new(
                "agreementId",
                format!("The agreement ID {e}"),
            )])
        })?);
    }
    let mut direct = None;
    // GOV.UK Pay matches whole values only: four digits are the card's last
    // four, one word with an @ an email, words a cardholder's name, one word
    // a reference. It has no search by amount.
    match query.search_text() {
        None => {}
        Some(SearchText::PaymentId(id)) => {
            direct = Some(PaymentId::parse(&id).map_err(|_| {
                CoreError::Validation(vec![FieldError::new("text", "Enter a real payment ID")])
            })?);
        }
        Some(SearchText::Terms { terms, .. }) if terms.iter().any(|t| t.word.is_none()) => {
            return Err(CoreError::Validation(vec![FieldError::new(
                "text",
                "GOV.UK Pay's live search cannot look for an amount: search this computer's payments instead",
            )]));
        }
        Some(SearchText::Terms { text, terms }) => match terms.as_slice() {
            [t] if t.last4.is_some() => search.last_digits_card_number = t.last4.clone(),
            [_] if text.contains('@') => search.email = Some(text.to_owned()),
            _ if text.contains(char::is_whitespace) => {
                search.cardholder_name = Some(text.to_owned());
            }
            _ => search.reference = Some(text.to_owned()),
        },
    }
    search.paging = Paging {
        page: Some(query.page.max(1)),
        display_size: Some(if query.page_size == 0 {
            20
        } else {
            query.page_size.min(500)
        }),
    };
    Ok((direct, search))
}

impl Core {
    /// Searches this desktop's cache of a service's payments.
    pub async fn payments_search(
        &self,
        service_id: &str,
        query: &PaymentQuery,
    ) -> Result<PaymentResults, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::ViewPayments)?;
        query.validate()?;
        Ok(self.store().search_payments(&service.id, query).await?)
    }

    /// Asks GOV.UK Pay itself (for payments made since the last sync), stores what
    /// comes back in the cache, and answers with one page. The search box's text
    /// is read as GOV.UK Pay's exact filters: 4 digits are the card's last four,
    /// an `@` makes an email, a payment ID is fetched directly, words with a space
    /// are a cardholder name, anything else a reference.
    pub async fn payments_search_live(
        &self,
        service_id: &str,
        query: &PaymentQuery,
    ) -> Result<PaymentResults, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::ViewPayments)?;
        query.validate()?;
        let (direct, search) = live_filters(query)?;
        let client = self.client(&service).await?;
        let (payments, total) = match direct {
            Some(id) => match client.payments().get(&id).await {
                Ok(p) => (vec![p], 1),
                Err(govpay::Error::Api(body)) if body.status == 404 => (Vec::new(), 0),
                Err(e) => return Err(e.into()),
            },
            None => {
                search.validate().map_err(CoreError::from)?;
                let page = client.payments().search(&search).await?;
                let total = page.total;
                (page.results, total)
            }
        };
        let mut rows = self
            .store()
            .keep_and_read_rows(&service.id, &payments)
            .await?;
        let mut total = u32::try_from(total).unwrap_or(u32::MAX);
        if let Some(StatusFilter::Group(g)) =
            query.state.as_deref().and_then(StatusGroup::parse_filter)
        {
            let before = rows.len();
            rows.retain(|r| StatusGroup::of(&r.status, r.code.as_deref()) == Some(g));
            if rows.len() != before {
                // Narrowed down here: only what this page holds is known.
                total = u32::try_from(rows.len()).unwrap_or(u32::MAX);
            }
        }
        Ok(PaymentResults {
            rows,
            total,
            total_is_capped: false,
            page: search.paging.page.unwrap_or(1),
            page_size: search.paging.display_size.unwrap_or(20),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(t: &str) -> (Option<PaymentId>, PaymentSearch) {
        live_filters(&PaymentQuery {
            text: Some(t.into()),
            ..PaymentQuery::default()
        })
        .unwrap()
    }

    #[test]
    fn a_page_or_text_out_of_range_is_a_field_error_not_a_panic() {
        for (query, field) in [
            (
                PaymentQuery {
                    page: u32::MAX,
                    page_size: 200,
                    ..PaymentQuery::default()
                },
                "page",
            ),
            (
                PaymentQuery {
                    text: Some("x".repeat(201)),
                    ..PaymentQuery::default()
                },
                "text",
            ),
        ] {
            match query.validate() {
                Err(CoreError::Validation(f)) => assert_eq!(f[0].field, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        let fine = PaymentQuery {
            text: Some("é".repeat(200)),
            page: MAX_PAGE,
            page_size: 200,
            ..PaymentQuery::default()
        };
        assert!(fine.validate().is_ok());
    }

    #[test]
    fn the_search_box_text_becomes_the_right_live_filter() {
        assert_eq!(
            text("4242").1.last_digits_card_number.as_deref(),
            Some("4242")
        );
        assert_eq!(text("a@b.org").1.email.as_deref(), Some("a@b.org"));
        assert_eq!(
            text("Jo Bloggs").1.cardholder_name.as_deref(),
            Some("Jo Bloggs")
        );
        assert_eq!(text("PK-1234").1.reference.as_deref(), Some("PK-1234"));
        assert!(text("hu20sqlact5260q2nanm0q8u93").0.is_some());
        let amount = live_filters(&PaymentQuery {
            text: Some("£45.00".into()),
            ..PaymentQuery::default()
        });
        assert!(matches!(amount, Err(CoreError::Validation(f)) if f[0].field == "text"));
        let (_, s) = text("x");
        assert_eq!(s.paging.page, Some(1));
        assert_eq!(s.paging.display_size, Some(20));
    }

    #[test]
    fn a_status_group_asks_for_the_state_that_holds_it() {
        let (_, s) = live_filters(&PaymentQuery {
            state: Some("timed_out".into()),
            ..PaymentQuery::default()
        })
        .unwrap();
        assert_eq!(s.state.map(|s| s.as_str()), Some("failed"));
        let (_, s) = live_filters(&PaymentQuery {
            state: Some("capturable".into()),
            ..PaymentQuery::default()
        })
        .unwrap();
        assert!(s.state.is_none());
    }

    #[test]
    fn a_bad_state_is_refused_naming_the_field() {
        let err = live_filters(&PaymentQuery {
            state: Some("expired".into()),
            ..PaymentQuery::default()
        })
        .unwrap_err();
        match err {
            CoreError::Validation(f) => assert_eq!(f[0].field, "state"),
            other => panic!("{other:?}"),
        }
    }
}
