//! Every P-code GOV.UK Pay lists is known; the spec's own examples decode; and
//! no JSON whatever makes decoding panic.

use std::path::PathBuf;

use govpay::PayCode;
use govpay::models::{
    Agreement, Dispute, DisputeSearchPage, ErrorResponse, Payment, PaymentEvents, PaymentRefunds,
    Refund, SearchPage,
};
use serde_json::{Map, Value, json};

/// GOV.UK Pay's published data, copied into the repository (see its README).
fn shared(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("reference")
        .join(file)
}

#[test]
fn every_code_in_the_error_table_is_known_and_explained() {
    let path = shared("error_codes.csv");
    let table =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut codes: Vec<&str> = table
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .filter(|c| c.starts_with('P'))
        .collect();
    codes.sort();
    codes.dedup();
    assert!(codes.len() >= 60, "the table was read: {}", codes.len());
    for code in &codes {
        let parsed: PayCode = code
            .parse()
            .unwrap_or_else(|_| panic!("{code} is in error_codes.csv but not in PayCode"));
        assert_eq!(parsed.as_str(), *code);
        assert!(parsed.explain().is_some_and(|w| !w.is_empty()));
    }
    assert_eq!(
        PayCode::ALL.len(),
        codes.len(),
        "PayCode has codes the table does not"
    );
}

/// An instance of a spec schema made from the spec's own `example` values.
fn example(spec: &Value, schema: &Value, depth: usize) -> Value {
    // The spec has no recursive schemas; this only guards against a future one.
    if depth > 30 {
        return Value::Null;
    }
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return example(spec, &spec["components"]["schemas"][name], depth + 1);
    }
    if let Some(e) = schema.get("example")
        && !schema["properties"].is_object()
    {
        return e.clone();
    }
    match schema["type"].as_str() {
        Some("array") => json!([example(spec, &schema["items"], depth + 1)]),
        Some("integer") => json!(1),
        Some("boolean") => json!(true),
        Some("string") => schema["enum"].get(0).cloned().unwrap_or(json!("example")),
        _ => {
            let mut out = Map::new();
            if let Some(props) = schema["properties"].as_object() {
                for (k, v) in props {
                    out.insert(k.clone(), example(spec, v, depth + 1));
                }
            }
            Value::Object(out)
        }
    }
}

#[test]
fn the_specs_examples_decode() {
    let path = shared("publicapi_spec.json");
    let spec: Value = serde_json::from_slice(
        &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap();
    let of = |name: &str| {
        example(
            &spec,
            &json!({"$ref": format!("#/components/schemas/{name}")}),
            0,
        )
    };
    let payment = of("PaymentWithAllLinks");
    assert!(payment["amount"].is_number(), "{payment}");
    let decoded: Payment = serde_json::from_value(payment).unwrap();
    assert_eq!(decoded.amount, 1200);
    serde_json::from_value::<Payment>(of("CreatePaymentResult")).unwrap();
    serde_json::from_value::<SearchPage<Payment>>(of("PaymentSearchResults")).unwrap();
    serde_json::from_value::<Refund>(of("Refund")).unwrap();
    serde_json::from_value::<SearchPage<Refund>>(of("RefundSearchResults")).unwrap();
    serde_json::from_value::<PaymentRefunds>(of("RefundForSearchResult")).unwrap();
    serde_json::from_value::<PaymentEvents>(of("PaymentEvents")).unwrap();
    serde_json::from_value::<Dispute>(of("DisputeDetailForSearch")).unwrap();
    serde_json::from_value::<DisputeSearchPage>(of("DisputesSearchResults")).unwrap();
    serde_json::from_value::<Agreement>(of("Agreement")).unwrap();
    serde_json::from_value::<SearchPage<Agreement>>(of("AgreementSearchResults")).unwrap();
}

/// Every key path in a JSON value (`a.b.c`; array items share their parent's).
fn paths(v: &Value, at: &str, out: &mut std::collections::BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let p = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                out.insert(p.clone());
                paths(child, &p, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| paths(i, at, out)),
        _ => {}
    }
}

fn as_the_service_writes(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let Some(card) = m.remove("CardDetails") {
                m.insert("card_details".into(), card);
            }
            m.values_mut().for_each(as_the_service_writes);
        }
        Value::Array(items) => items.iter_mut().for_each(as_the_service_writes),
        _ => {}
    }
}

/// Decodes `value` as `T`, writes it back, and names every field lost.
fn lost<T: serde::de::DeserializeOwned + serde::Serialize>(value: &Value) -> Vec<String> {
    let decoded: T = serde_json::from_value(value.clone()).unwrap();
    let again = serde_json::to_value(&decoded).unwrap();
    let (mut want, mut got) = Default::default();
    paths(value, "", &mut want);
    paths(&again, "", &mut got);
    want.difference(&got).cloned().collect()
}

#[test]
fn every_field_of_every_spec_schema_survives_a_round_trip() {
    let path = shared("publicapi_spec.json");
    let spec: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let of = |name: &str| {
        let mut v = example(
            &spec,
            &json!({"$ref": format!("#/components/schemas/{name}")}),
            0,
        );
        // API-NOTES: the live service writes `payment_instrument.card_details`
        // where the spec says `CardDetails`.
        as_the_service_writes(&mut v);
        v
    };
    let mut losses = Vec::new();
    for (name, lost) in [
        (
            "PaymentWithAllLinks",
            lost::<Payment>(&of("PaymentWithAllLinks")),
        ),
        (
            "CreatePaymentResult",
            lost::<Payment>(&of("CreatePaymentResult")),
        ),
        (
            "PaymentDetailForSearch",
            lost::<Payment>(&of("PaymentDetailForSearch")),
        ),
        (
            "PaymentSearchResults",
            lost::<SearchPage<Payment>>(&of("PaymentSearchResults")),
        ),
        ("Refund", lost::<Refund>(&of("Refund"))),
        (
            "RefundSearchResults",
            lost::<SearchPage<Refund>>(&of("RefundSearchResults")),
        ),
        (
            "RefundForSearchResult",
            lost::<PaymentRefunds>(&of("RefundForSearchResult")),
        ),
        ("PaymentEvents", lost::<PaymentEvents>(&of("PaymentEvents"))),
        (
            "DisputeDetailForSearch",
            lost::<Dispute>(&of("DisputeDetailForSearch")),
        ),
        (
            "DisputesSearchResults",
            lost::<DisputeSearchPage>(&of("DisputesSearchResults")),
        ),
        ("Agreement", lost::<Agreement>(&of("Agreement"))),
        (
            "AgreementSearchResults",
            lost::<SearchPage<Agreement>>(&of("AgreementSearchResults")),
        ),
        ("RequestError", lost::<ErrorResponse>(&of("RequestError"))),
    ] {
        losses.extend(lost.into_iter().map(|p| format!("{name}: {p}")));
    }
    assert!(losses.is_empty(), "fields dropped: {losses:#?}");
}

#[test]
fn a_payment_with_every_documented_field_is_written_back_unchanged() {
    // API-NOTES' payment, every field set, with values this version has
    // never heard of where GOV.UK Pay may add them.
    let payment = json!({
        "amount": 1200, "description": "Council tax", "reference": "CT-1",
        "language": "cy", "email": "sam@example.org",
        "metadata": {"ledger": "AB1", "line": 3, "urgent": true},
        "state": {"status": "failed", "finished": true, "message": "Payment method rejected",
                  "code": "P0010", "can_retry": false},
        "payment_id": "hu20sqlact5uv2fgu9v2r0rh0p", "payment_provider": "adyen",
        "provider_id": "psp-42", "created_date": "2026-12-06T16:47:00.000Z",
        "refund_summary": {"status": "unavailable", "amount_available": 0, "amount_submitted": 0},
        "settlement_summary": {"capture_submit_time": "2026-12-06T16:47:05.000Z",
                               "captured_date": "2026-12-06", "settled_date": "2026-12-08"},
        "card_details": {"card_brand": "Visa", "card_type": "prepaid",
                         "first_digits_card_number": "424242", "last_digits_card_number": "4242",
                         "expiry_date": "04/29", "cardholder_name": "Sam Citizen",
                         "billing_address": {"line1": "1 High St", "line2": "Flat 2", "postcode": "LS1 1AA",
                                             "city": "Leeds", "country": "GB"},
                         "wallet_type": "Apple Pay"},
        "delayed_capture": false, "moto": false, "return_url": "https://service.example/done",
        "authorisation_mode": "external", "agreement_id": "abcdefghijklmnopqrstuv0123",
        "agreement_payment_type": "recurring",
        "authorisation_summary": {"three_d_secure": {"required": true}},
        "exemption": {"requested": true, "type": "corporate", "outcome": {"result": "honoured"}},
        "card_brand": "Visa", "corporate_card_surcharge": 250, "total_amount": 1450,
        "fee": 30, "net_amount": 1420,
        "_links": {
            "self": {"href": "https://x/v1/payments/hu20", "method": "GET"},
            "next_url": {"href": "https://x/secure/t", "method": "GET"},
            "next_url_post": {"href": "https://x/secure", "method": "POST",
                              "type": "application/x-www-form-urlencoded", "params": {"chargeTokenId": "t"}},
            "auth_url_post": {"href": "https://x/v1/auth", "method": "POST",
                              "type": "application/json", "params": {"one_time_token": "t"}},
            "events": {"href": "https://x/v1/payments/hu20/events", "method": "GET"},
            "refunds": {"href": "https://x/v1/payments/hu20/refunds", "method": "GET"},
            "cancel": {"href": "https://x/v1/payments/hu20/cancel", "method": "POST"},
            "capture": {"href": "https://x/v1/payments/hu20/capture", "method": "POST"}
        }
    });
    let decoded: Payment = serde_json::from_value(payment.clone()).unwrap();
    let exemption = decoded.exemption.as_ref().expect("the exemption is kept");
    assert!(exemption.requested);
    assert_eq!(exemption.kind.as_deref(), Some("corporate"));
    assert!(!decoded.payment_provider.as_ref().unwrap().is_known());
    assert_eq!(serde_json::to_value(&decoded).unwrap(), payment);
}

/// splitmix64: a repeatable source of arbitrary JSON.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const KEYS: [&str; 24] = [
    "payment_id",
    "amount",
    "state",
    "status",
    "finished",
    "code",
    "results",
    "total",
    "count",
    "page",
    "_links",
    "links",
    "refund_summary",
    "amount_available",
    "card_details",
    "metadata",
    "href",
    "next_page",
    "created_date",
    "refund_id",
    "_embedded",
    "refunds",
    "events",
    "agreement_id",
];

fn arbitrary(rng: &mut Rng, depth: u32) -> Value {
    match rng.below(if depth > 4 { 5 } else { 8 }) {
        0 => Value::Null,
        1 => json!(rng.below(2) == 0),
        2 => json!(rng.next() as i64),
        3 => json!((rng.next() as f64) / 7.0),
        4 => json!(["", "created", "success", "P0604", "é€😀", "1e999"][rng.below(6) as usize]),
        5 | 6 => {
            let mut m = Map::new();
            for _ in 0..rng.below(6) {
                m.insert(
                    KEYS[rng.below(KEYS.len() as u64) as usize].into(),
                    arbitrary(rng, depth + 1),
                );
            }
            Value::Object(m)
        }
        _ => Value::Array(
            (0..rng.below(4))
                .map(|_| arbitrary(rng, depth + 1))
                .collect(),
        ),
    }
}

#[test]
fn decoding_arbitrary_json_never_panics() {
    let mut rng = Rng(0xDEC0DE);
    let mut decoded = 0;
    for _ in 0..20_000 {
        let value = arbitrary(&mut rng, 0);
        let text = value.to_string();
        // Also feed cut-off and corrupted text.
        let cut = &text[..text
            .char_indices()
            .nth(rng.below(text.chars().count() as u64 + 1) as usize)
            .map_or(text.len(), |(i, _)| i)];
        for input in [text.as_str(), cut] {
            decoded += usize::from(serde_json::from_str::<Payment>(input).is_ok());
            let _ = serde_json::from_str::<SearchPage<Payment>>(input);
            let _ = serde_json::from_str::<DisputeSearchPage>(input);
            let _ = serde_json::from_str::<Refund>(input);
            let _ = serde_json::from_str::<Agreement>(input);
            let _ = serde_json::from_str::<PaymentEvents>(input);
        }
    }
    // Most arbitrary JSON is not a payment; the point is that nothing panicked.
    assert!(decoded < 20_000);
}
