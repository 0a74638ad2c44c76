//! A deterministic history for an account: the same seed and count always give the
//! same payments, refunds, agreements and disputes, spread over the past, in every
//! state a real service sees.

use std::time::Instant;

use serde_json::Value;
use time::OffsetDateTime;

use crate::accounts::PaymentProvider;
use crate::ids::IdGen;
use crate::model::{Card, Mode, SimAgreement, SimDispute, SimPayment, SimRefund, Status};
use crate::state::{DISPUTE_FEE, State};

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct SeedSpec {
    pub account: u32,
    pub payments: usize,
    pub seed: u64,
    /// How far back the history reaches.
    pub days: i64,
}

const FIRST: [&str; 16] = [
    "Amira", "Ben", "Chloe", "Dafydd", "Eilidh", "Farah", "George", "Hannah", "Ifan", "Jas",
    "Kofi", "Lena", "Mohammed", "Niamh", "Olu", "Priya",
];
const LAST: [&str; 16] = [
    "Ahmed", "Brown", "Campbell", "Davies", "Evans", "Fraser", "Green", "Hughes", "Iqbal", "Jones",
    "Khan", "Lewis", "Morgan", "Nowak", "Okafor", "Patel",
];
const SERVICES: [(&str, &str, i64); 6] = [
    ("PRK", "Parking permit", 4_500),
    ("PCN", "Penalty charge notice", 7_000),
    ("LIC", "Premises licence application", 19_000),
    ("BIN", "Garden waste collection", 5_200),
    ("REG", "Copy birth certificate", 1_100),
    ("PLN", "Planning application fee", 25_800),
];
/// (brand, type, first six, last four) of published test cards.
const CARDS: [(&str, &str, &str, &str); 7] = [
    ("Visa", "debit", "444433", "1111"),
    ("Visa", "credit", "424242", "4242"),
    ("Visa", "debit", "400005", "5556"),
    ("Mastercard", "debit", "510510", "5100"),
    ("Mastercard", "credit", "222100", "0000"),
    ("American Express", "credit", "371449", "8431"),
    ("JCB", "credit", "356600", "0505"),
];

fn pick<T: Copy>(rng: &mut IdGen, items: &[T]) -> T {
    items[(rng.next_u64() % items.len() as u64) as usize]
}

fn card(rng: &mut IdGen, holder: String, created: OffsetDateTime) -> Card {
    let (brand, card_type, first6, last4) = pick(rng, &CARDS);
    let expiry_year = (created.year() + 1 + (rng.next_u64() % 4) as i32) % 100;
    Card {
        brand,
        card_type,
        first6: first6.into(),
        last4: last4.into(),
        expiry: format!("{:02}/{expiry_year:02}", 1 + rng.next_u64() % 12),
        holder,
        address: None,
    }
}

/// Adds the history to `state`. Payments are added oldest first, before any made
/// through the API, so every index stays in date order.
pub(crate) fn seed(state: &mut State, spec: SeedSpec) {
    let Some(account) = state.account(spec.account).cloned() else {
        return;
    };
    let mut rng = IdGen::new(spec.seed ^ 0x5EED_5EED);
    let now = state.clock.now();
    let start = now - time::Duration::days(spec.days.max(1));
    let span_ms = (now - start).whole_milliseconds() as i64 - 3_600_000;
    let stripe = account.provider == PaymentProvider::Stripe;
    let provider = account.provider.as_str();

    // Agreements first, so agreement payments can point at active ones.
    let agreements = if account.recurring_enabled {
        (spec.payments / 200).max(3)
    } else {
        0
    };
    let mut active = Vec::new();
    for i in 0..agreements {
        let created =
            start + time::Duration::milliseconds(span_ms * i as i64 / agreements.max(1) as i64 / 2);
        let status = match rng.next_u64() % 10 {
            0 => "cancelled",
            1 => "inactive",
            2 => "created",
            _ => "active",
        };
        let holder = format!("{} {}", pick(&mut rng, &FIRST), pick(&mut rng, &LAST));
        let instrument = (status != "created").then(|| (card(&mut rng, holder, created), created));
        let id = rng.external_id();
        let idx = state.insert_agreement(SimAgreement {
            id: id.clone(),
            account: spec.account,
            reference: format!("AGR-{:06}", i + 1),
            description: "Monthly garden waste collection".into(),
            user_identifier: Some(format!("user-{:05}", rng.next_u64() % 100_000)),
            status,
            created,
            cancelled: (status == "cancelled").then(|| created + time::Duration::days(90)),
            instrument,
        });
        if status == "active" {
            active.push(idx);
        }
    }

    let recent = (spec.payments / 500).clamp(5, 200);
    let mut disputes_left_due_soon = 3;
    for i in 0..spec.payments {
        let is_recent = i >= spec.payments.saturating_sub(recent);
        let created = if is_recent {
            // The newest few are still in progress: inside the last hour.
            now - time::Duration::minutes(60)
                + time::Duration::seconds(
                    (i + recent - spec.payments) as i64 * 3000 / recent as i64,
                )
        } else {
            start + time::Duration::milliseconds(span_ms / spec.payments as i64 * i as i64)
        };
        let (prefix, what, base) = pick(&mut rng, &SERVICES);
        let amount = (base + (rng.next_u64() % 5) as i64 * 250).max(100);
        let holder = format!("{} {}", pick(&mut rng, &FIRST), pick(&mut rng, &LAST));
        let roll = rng.next_u64() % 1000;
        let mode = if !active.is_empty() && roll.is_multiple_of(37) {
            Mode::Agreement
        } else if account.moto_api_enabled && roll.is_multiple_of(19) {
            Mode::MotoApi
        } else {
            Mode::Web
        };
        let status = if is_recent {
            match rng.next_u64() % 4 {
                0 => Status::Created,
                1 => Status::Started,
                2 => Status::Capturable,
                _ => Status::Success,
            }
        } else {
            match roll {
                0..780 => Status::Success,
                780..830 => Status::Declined,
                830..860 => Status::Expired,
                860..880 => Status::UserCancelled,
                880..890 => Status::SystemCancelled,
                _ => Status::Error,
            }
        };
        let authorised = matches!(
            status,
            Status::Success | Status::Capturable | Status::Declined
        );
        let mut events = vec![(Status::Created, created)];
        let step = |m: i64| created + time::Duration::seconds(m * 40);
        if status != Status::Created {
            events.push((Status::Started, step(1)));
        }
        if matches!(status, Status::Success | Status::Capturable) {
            events.push((Status::Submitted, step(3)));
        }
        if !matches!(
            status,
            Status::Created | Status::Started | Status::Submitted
        ) {
            let at = if status == Status::Expired {
                created + time::Duration::minutes(90)
            } else {
                step(4)
            };
            events.push((status, at));
        }
        let status_since = events.last().map(|e| e.1).unwrap_or(created);
        let email = (roll % 10 < 7).then(|| {
            format!(
                "{}.{}{}@example.org",
                holder.split(' ').next().unwrap_or("x").to_lowercase(),
                holder.split(' ').nth(1).unwrap_or("y").to_lowercase(),
                i % 97
            )
        });
        let metadata = (roll % 10 < 3).then(|| {
            let mut m = govpay::models::Metadata::new();
            m.insert(
                "ledger_code".into(),
                Value::String(format!("{prefix}{}", 100 + roll % 40)),
            );
            m.insert(
                "case_ref".into(),
                Value::String(format!("CASE-{:05}", i % 50_000)),
            );
            m
        });
        let agreement_id =
            (mode == Mode::Agreement).then(|| state.agreements[pick(&mut rng, &active)].id.clone());
        let id = rng.external_id();
        let payment = SimPayment {
            provider_id: authorised.then(|| format!("prov-{}", &id[..12])),
            id,
            account: spec.account,
            amount,
            reference: format!("{prefix}-{:07}", i + 1),
            description: what.to_owned(),
            email: if mode == Mode::Agreement { None } else { email },
            language: if roll.is_multiple_of(50) { "cy" } else { "en" },
            metadata,
            return_url: (mode == Mode::Web)
                .then(|| "https://council.example.gov.uk/payment-done".to_owned()),
            mode,
            moto: mode == Mode::MotoApi,
            delayed_capture: status == Status::Capturable,
            provider,
            status,
            created,
            status_since,
            captured: (status == Status::Success).then(|| step(4)),
            card: authorised.then(|| card(&mut rng, holder, created)),
            three_ds: false,
            agreement_id,
            set_up_agreement: None,
            agreement_payment_type: (mode == Mode::Agreement).then(|| "recurring".to_owned()),
            events,
            refunds: Vec::new(),
            dispute: None,
        };
        let idx = state.insert_payment(payment);

        if status == Status::Success && !is_recent {
            // About one in eight successful payments has been refunded, some in full.
            let r = rng.next_u64() % 100;
            if r < 12 {
                let refund_amount = if r < 4 {
                    amount
                } else {
                    (amount / 2 / 100).max(1) * 100
                };
                state.insert_refund(SimRefund {
                    id: rng.external_id(),
                    payment: idx,
                    amount: refund_amount,
                    status: if r == 11 { "error" } else { "success" },
                    // Some days later, but never in the future.
                    created: (created + time::Duration::days(1 + (r % 20) as i64))
                        .min(now - time::Duration::minutes(90))
                        .max(created),
                    visible_at: Instant::now(),
                });
            } else if stripe
                && (r == 50
                    || (disputes_left_due_soon > 0 && i + 2 * recent >= spec.payments && r < 40))
            {
                let age_days = ((now - created).whole_days()).max(0);
                let due_soon = disputes_left_due_soon > 0 && i + 2 * recent >= spec.payments;
                let (status, evidence_due) = if due_soon {
                    disputes_left_due_soon -= 1;
                    // The newest disputes still need a response: one due tomorrow.
                    let days = [1, 5, 12][disputes_left_due_soon as usize % 3];
                    ("needs_response", now + time::Duration::days(days))
                } else {
                    let s = match rng.next_u64() % 10 {
                        0..4 => "won",
                        4..8 => "lost",
                        8 => "under_review",
                        _ => "needs_response",
                    };
                    let due = created + time::Duration::days(21.min(age_days + 7));
                    (s, due)
                };
                let dispute_created =
                    (created + time::Duration::days(3)).min(now - time::Duration::hours(2));
                state.insert_dispute(SimDispute {
                    id: rng.external_id(),
                    payment: idx,
                    amount,
                    fee: DISPUTE_FEE,
                    status,
                    reason: pick(&mut rng, &crate::control::DISPUTE_REASONS),
                    created: dispute_created,
                    evidence_due,
                    settled: (status == "lost").then(|| evidence_due + time::Duration::days(5)),
                    auto_outcome: None,
                });
            }
        }
    }
    state.sort_by_date();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::Account;

    fn seeded(seed: u64, n: usize, provider: PaymentProvider) -> State {
        let mut account = Account::sandbox("k");
        account.provider = provider;
        let mut state = State::new(
            vec![account],
            1,
            "http://x".into(),
            std::time::Duration::ZERO,
        );
        super::seed(
            &mut state,
            SeedSpec {
                account: 1,
                payments: n,
                seed,
                days: 365,
            },
        );
        state
    }

    #[test]
    fn the_same_seed_gives_the_same_history() {
        let a = seeded(7, 2000, PaymentProvider::Stripe);
        let b = seeded(7, 2000, PaymentProvider::Stripe);
        let ids = |s: &State| {
            s.payments
                .iter()
                .map(|p| (p.id.clone(), p.amount, p.status))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&a), ids(&b));
        let c = seeded(8, 2000, PaymentProvider::Stripe);
        assert_ne!(ids(&a), ids(&c));
    }

    #[test]
    fn the_history_covers_every_state_and_stays_in_date_order() {
        let s = seeded(1, 5000, PaymentProvider::Stripe);
        for status in [
            Status::Created,
            Status::Started,
            Status::Capturable,
            Status::Success,
            Status::Declined,
            Status::Expired,
            Status::UserCancelled,
            Status::SystemCancelled,
            Status::Error,
        ] {
            assert!(
                s.payments.iter().any(|p| p.status == status),
                "no {status:?}"
            );
        }
        assert!(s.payments.windows(2).all(|w| w[0].created <= w[1].created));
        assert!(!s.refunds.is_empty());
        assert!(!s.agreements.is_empty());
        assert!(s.disputes.iter().any(|d| d.status == "needs_response"));
        assert!(s.payments.iter().any(|p| p.mode == Mode::Agreement));
        assert!(s.payments.iter().any(|p| p.metadata.is_some()));
    }

    #[test]
    fn the_sandbox_provider_has_no_disputes() {
        let s = seeded(1, 5000, PaymentProvider::Sandbox);
        assert!(s.disputes.is_empty());
    }
}
