//! Search parameters for the four search endpoints, checked before sending with
//! the API's rules (a rejection names the parameter and carries its P-code).

use std::str::FromStr;

use time::{Date, OffsetDateTime};

use crate::codes::PayCode;
use crate::error::Error;
use crate::ids::AgreementId;
pub use crate::states::{AgreementStatus, DisputeStatus};

/// GOV.UK Pay's largest page.
pub const MAX_PAGE_SIZE: u32 = 500;

fn reject(field: &'static str, code: PayCode, message: &str) -> Error {
    Error::InvalidRequest {
        field,
        message: message.to_owned(),
        pay_code: code,
    }
}

/// `YYYY-MM-DDThh:mm:ssZ`, the form the search endpoints take.
pub fn format_search_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The states search can filter on. `capturable` is not one of them: the API
/// refuses it (422 P0401) even though payments can be in that state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchState {
    Created,
    Started,
    Submitted,
    Success,
    Failed,
    Cancelled,
    Error,
}

impl SearchState {
    pub fn as_str(self) -> &'static str {
        match self {
            SearchState::Created => "created",
            SearchState::Started => "started",
            SearchState::Submitted => "submitted",
            SearchState::Success => "success",
            SearchState::Failed => "failed",
            SearchState::Cancelled => "cancelled",
            SearchState::Error => "error",
        }
    }
}

impl FromStr for SearchState {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Ok(match s {
            "created" => SearchState::Created,
            "started" => SearchState::Started,
            "submitted" => SearchState::Submitted,
            "success" => SearchState::Success,
            "failed" => SearchState::Failed,
            "cancelled" => SearchState::Cancelled,
            "error" => SearchState::Error,
            "capturable" => {
                return Err(reject(
                    "state",
                    PayCode::P0401,
                    "cannot be searched for: GOV.UK Pay does not allow state=capturable",
                ));
            }
            _ => {
                return Err(reject(
                    "state",
                    PayCode::P0401,
                    "must be created, started, submitted, success, failed, cancelled or error",
                ));
            }
        })
    }
}

/// Paging shared by every search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Paging {
    pub page: Option<u32>,
    pub display_size: Option<u32>,
}

impl Paging {
    fn check(&self, code: PayCode) -> Result<(), Error> {
        if self.page == Some(0) {
            return Err(reject("page", code, "must be 1 or more"));
        }
        if let Some(size) = self.display_size
            && !(1..=MAX_PAGE_SIZE).contains(&size)
        {
            return Err(reject("display_size", code, "must be between 1 and 500"));
        }
        Ok(())
    }

    fn push(&self, q: &mut Vec<(&'static str, String)>) {
        if let Some(p) = self.page {
            q.push(("page", p.to_string()));
        }
        if let Some(s) = self.display_size {
            q.push(("display_size", s.to_string()));
        }
    }
}

fn push_time(q: &mut Vec<(&'static str, String)>, name: &'static str, t: Option<OffsetDateTime>) {
    if let Some(t) = t {
        q.push((name, format_search_time(t)));
    }
}

fn push_date(q: &mut Vec<(&'static str, String)>, name: &'static str, d: Option<Date>) {
    if let Some(d) = d {
        q.push((name, format_date(d)));
    }
}

/// `GET /v1/payments`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentSearch {
    pub reference: Option<String>,
    pub email: Option<String>,
    pub state: Option<SearchState>,
    /// A brand slug: `visa`, `master-card`, `american-express`, ...
    pub card_brand: Option<String>,
    pub cardholder_name: Option<String>,
    pub first_digits_card_number: Option<String>,
    pub last_digits_card_number: Option<String>,
    /// Inclusive.
    pub from_date: Option<OffsetDateTime>,
    /// Exclusive.
    pub to_date: Option<OffsetDateTime>,
    pub from_settled_date: Option<Date>,
    pub to_settled_date: Option<Date>,
    pub agreement_id: Option<AgreementId>,
    pub paging: Paging,
}

impl PaymentSearch {
    pub fn validate(&self) -> Result<(), Error> {
        let code = PayCode::P0401;
        let digits = |v: &Option<String>, len: usize| {
            v.as_ref()
                .is_none_or(|s| s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
        };
        if !digits(&self.first_digits_card_number, 6) {
            return Err(reject(
                "first_digits_card_number",
                code,
                "must be exactly 6 digits",
            ));
        }
        if !digits(&self.last_digits_card_number, 4) {
            return Err(reject(
                "last_digits_card_number",
                code,
                "must be exactly 4 digits",
            ));
        }
        let max = |v: &Option<String>, n: usize| v.as_ref().is_none_or(|s| s.chars().count() <= n);
        if !max(&self.reference, 255) {
            return Err(reject("reference", code, "must be 255 characters or fewer"));
        }
        if !max(&self.email, 254) {
            return Err(reject("email", code, "must be 254 characters or fewer"));
        }
        if !max(&self.card_brand, 20) {
            return Err(reject("card_brand", code, "must be 20 characters or fewer"));
        }
        if !max(&self.cardholder_name, 255) {
            return Err(reject(
                "cardholder_name",
                code,
                "must be 255 characters or fewer",
            ));
        }
        if let (Some(from), Some(to)) = (self.from_date, self.to_date)
            && from > to
        {
            return Err(reject("from_date", code, "must be before the to date"));
        }
        self.paging.check(code)
    }

    pub(crate) fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        let mut text = |name, v: &Option<String>| {
            if let Some(v) = v {
                q.push((name, v.clone()));
            }
        };
        text("reference", &self.reference);
        text("email", &self.email);
        text("card_brand", &self.card_brand);
        text("cardholder_name", &self.cardholder_name);
        text("first_digits_card_number", &self.first_digits_card_number);
        text("last_digits_card_number", &self.last_digits_card_number);
        if let Some(s) = self.state {
            q.push(("state", s.as_str().to_owned()));
        }
        if let Some(a) = &self.agreement_id {
            q.push(("agreement_id", a.as_str().to_owned()));
        }
        push_time(&mut q, "from_date", self.from_date);
        push_time(&mut q, "to_date", self.to_date);
        push_date(&mut q, "from_settled_date", self.from_settled_date);
        push_date(&mut q, "to_settled_date", self.to_settled_date);
        self.paging.push(&mut q);
        q
    }
}

/// `GET /v1/refunds`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefundSearch {
    pub from_date: Option<OffsetDateTime>,
    pub to_date: Option<OffsetDateTime>,
    pub from_settled_date: Option<Date>,
    pub to_settled_date: Option<Date>,
    pub paging: Paging,
}

impl RefundSearch {
    pub fn validate(&self) -> Result<(), Error> {
        self.paging.check(PayCode::P1101)
    }

    pub(crate) fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        push_time(&mut q, "from_date", self.from_date);
        push_time(&mut q, "to_date", self.to_date);
        push_date(&mut q, "from_settled_date", self.from_settled_date);
        push_date(&mut q, "to_settled_date", self.to_settled_date);
        self.paging.push(&mut q);
        q
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisputeSearch {
    pub status: Option<DisputeStatus>,
    pub from_date: Option<OffsetDateTime>,
    pub to_date: Option<OffsetDateTime>,
    pub from_settled_date: Option<Date>,
    pub to_settled_date: Option<Date>,
    pub paging: Paging,
}

impl DisputeSearch {
    pub fn validate(&self) -> Result<(), Error> {
        if self.status.as_ref().is_some_and(|s| !s.is_known()) {
            return Err(reject("status", PayCode::P0401, "is not a dispute status"));
        }
        self.paging.check(PayCode::P0401)
    }

    pub(crate) fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if let Some(s) = &self.status {
            q.push(("status", s.as_str().to_owned()));
        }
        push_time(&mut q, "from_date", self.from_date);
        push_time(&mut q, "to_date", self.to_date);
        push_date(&mut q, "from_settled_date", self.from_settled_date);
        push_date(&mut q, "to_settled_date", self.to_settled_date);
        self.paging.push(&mut q);
        q
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgreementSearch {
    pub reference: Option<String>,
    pub status: Option<AgreementStatus>,
    pub paging: Paging,
}

impl AgreementSearch {
    pub fn validate(&self) -> Result<(), Error> {
        if self
            .reference
            .as_ref()
            .is_some_and(|r| r.chars().count() > 255)
        {
            return Err(reject(
                "reference",
                PayCode::P2401,
                "must be 255 characters or fewer",
            ));
        }
        if self.status.as_ref().is_some_and(|s| !s.is_known()) {
            return Err(reject(
                "status",
                PayCode::P2401,
                "is not an agreement status",
            ));
        }
        self.paging.check(PayCode::P2401)
    }

    pub(crate) fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if let Some(r) = &self.reference {
            q.push(("reference", r.clone()));
        }
        if let Some(s) = &self.status {
            q.push(("status", s.as_str().to_owned()));
        }
        self.paging.push(&mut q);
        q
    }
}

/// What walking every page of a search needs of it.
pub(crate) trait Walkable: Clone {
    fn paging_mut(&mut self) -> &mut Paging;
    fn check(&self) -> Result<(), Error>;
    fn to_query(&self) -> Vec<(&'static str, String)>;
}

macro_rules! walkable {
    ($($search:ty),*) => {$(
        impl Walkable for $search {
            fn paging_mut(&mut self) -> &mut Paging {
                &mut self.paging
            }
            fn check(&self) -> Result<(), Error> {
                self.validate()
            }
            fn to_query(&self) -> Vec<(&'static str, String)> {
                self.query()
            }
        }
    )*};
}

walkable!(PaymentSearch, RefundSearch, DisputeSearch, AgreementSearch);

#[cfg(test)]
mod tests {
    use super::*;

    fn field(e: Error) -> &'static str {
        match e {
            Error::InvalidRequest { field, .. } => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn capturable_cannot_be_searched_for() {
        assert_eq!(
            field("capturable".parse::<SearchState>().unwrap_err()),
            "state"
        );
        assert_eq!(
            "success".parse::<SearchState>().unwrap(),
            SearchState::Success
        );
    }

    #[test]
    fn card_digit_and_paging_rules() {
        let s = |f: fn(&mut PaymentSearch)| {
            let mut search = PaymentSearch::default();
            f(&mut search);
            search.validate()
        };
        assert_eq!(
            field(s(|s| s.first_digits_card_number = Some("42424".into())).unwrap_err()),
            "first_digits_card_number"
        );
        assert_eq!(
            field(s(|s| s.last_digits_card_number = Some("12a4".into())).unwrap_err()),
            "last_digits_card_number"
        );
        assert_eq!(
            field(s(|s| s.paging.display_size = Some(501)).unwrap_err()),
            "display_size"
        );
        assert_eq!(field(s(|s| s.paging.page = Some(0)).unwrap_err()), "page");
        s(|s| s.last_digits_card_number = Some("1111".into())).unwrap();
    }

    #[test]
    fn dates_are_written_the_way_the_api_reads_them() {
        let t = time::macros::datetime!(2026-03-01 09:05:07.250 +01:00);
        assert_eq!(format_search_time(t), "2026-03-01T08:05:07Z");
        let q = PaymentSearch {
            from_date: Some(t),
            ..Default::default()
        }
        .query();
        assert_eq!(q, vec![("from_date", "2026-03-01T08:05:07Z".to_owned())]);
    }
}
