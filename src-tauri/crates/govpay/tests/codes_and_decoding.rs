//! Every P-code GOV.UK Pay lists is known; the spec's own examples decode; and
//! no JSON whatever makes decoding panic.

use std::path::PathBuf;

use govpay::PayCode;
use govpay::models::{
    Agreement, Dispute, DisputeSearchPage, Payment, PaymentEvents, PaymentRefunds, Refund,
    SearchPage,
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
        assert!(!parsed.explain().is_empty());
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
