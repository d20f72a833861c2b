#![cfg(feature = "ssr")]
//! Property tests of every decoder against hostile input: plan JSON, CSV import, the stored
//! workspace envelope, and share ids in paths. Nothing may panic; everything accepted must
//! be a valid plan; the server answers 4xx, never 5xx. (Longer runs: `make fuzz`.)

use proptest::prelude::*;
use serde_json::{json, Value};
use syncplan::export::{import_csv, import_json};
use syncplan::model::{decode_envelope, decode_plan_json, IdGen};

/// JSON shaped like a plan, with every field sometimes the wrong type.
fn plan_like_json() -> impl Strategy<Value = Value> {
    let scalar = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,20}".prop_map(Value::from),
        prop_oneof![
            Just("P0"),
            Just("high"),
            Just("Done"),
            Just("doing"),
            Just("p9"),
            Just("")
        ]
        .prop_map(Value::from),
    ];
    let any_value = scalar.clone().prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
            proptest::collection::hash_map("[a-z]{1,6}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    let row = proptest::collection::vec(
        (
            prop_oneof![
                Just("id"),
                Just("item"),
                Just("category"),
                Just("priority"),
                Just("owner"),
                Just("status"),
                Just("notes"),
                Just("extra")
            ],
            any_value.clone(),
        ),
        0..8,
    )
    .prop_map(|fields| Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()));
    let rows = prop_oneof![
        proptest::collection::vec(prop_oneof![row, any_value.clone()], 0..6).prop_map(Value::from),
        any_value.clone(),
    ];
    (
        proptest::option::of(any_value.clone()),
        proptest::option::of(any_value),
        proptest::option::of(rows),
    )
        .prop_map(|(schema, title, rows)| {
            let mut doc = serde_json::Map::new();
            if let Some(s) = schema {
                doc.insert("schema".into(), s);
            }
            if let Some(t) = title {
                doc.insert("title".into(), t);
            }
            if let Some(r) = rows {
                doc.insert("rows".into(), r);
            }
            Value::Object(doc)
        })
}

/// CSV-looking text: known and unknown headers, quotes, separators, line breaks.
fn csv_like() -> impl Strategy<Value = String> {
    let cell = prop_oneof![
        "[a-zA-Z0-9 ]{0,8}",
        Just("\"".to_owned()),
        Just("\"\"".to_owned()),
        Just("\"a,b\"".to_owned()),
        Just("'=1+1".to_owned()),
        Just("P1".to_owned()),
        Just("Done".to_owned()),
        "\\PC{0,6}",
    ];
    let header = prop_oneof![
        Just("Item"),
        Just("item"),
        Just("#"),
        Just("Category"),
        Just("Priority"),
        Just("Owner"),
        Just("Status"),
        Just("Notes"),
        Just("Other"),
        Just("")
    ];
    (
        proptest::collection::vec(header, 0..8),
        proptest::collection::vec(proptest::collection::vec(cell, 0..9), 0..8),
        prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
    )
        .prop_map(|(headers, rows, eol)| {
            let mut text = headers.join(",");
            for row in rows {
                text.push_str(eol);
                text.push_str(&row.join(","));
            }
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn plan_json_from_arbitrary_text_never_panics(text in "\\PC{0,200}") {
        if let Ok(plan) = decode_plan_json(&text, &mut IdGen::new(1)) {
            prop_assert!(plan.validate().is_ok());
        }
    }

    #[test]
    fn plan_shaped_json_is_read_or_refused_with_reasons(doc in plan_like_json()) {
        match decode_plan_json(&doc.to_string(), &mut IdGen::new(1)) {
            Ok(plan) => prop_assert!(plan.validate().is_ok()),
            Err(problems) => {
                prop_assert!(!problems.is_empty() && problems.len() <= 50);
                prop_assert!(problems.iter().all(|p| p.message.len() > 10));
            }
        }
    }

    #[test]
    fn csv_import_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(imported) = import_csv(&bytes, "t", &mut IdGen::new(1)) {
            prop_assert!(imported.plan.validate().is_ok());
        }
        let _ = import_json(&bytes, &mut IdGen::new(1));
    }

    #[test]
    fn csv_shaped_text_is_read_or_refused_with_reasons(text in csv_like()) {
        match import_csv(text.as_bytes(), "t", &mut IdGen::new(1)) {
            Ok(imported) => prop_assert!(imported.plan.validate().is_ok()),
            Err(problems) => prop_assert!(!problems.is_empty() && problems.len() <= 50),
        }
    }

    #[test]
    fn stored_envelopes_of_any_shape_never_panic(
        schema in prop_oneof![Just(json!(1)), Just(json!(2)), Just(json!(3)), Just(json!("2")), Just(Value::Null)],
        plan in plan_like_json(),
        extra in "\\PC{0,40}",
    ) {
        let candidates = [
            json!({"schema": schema, "plan": plan}).to_string(),
            json!({"schema": schema, "active": "p", "revision": -1, "plans": [{"id": "p", "plan": plan}], "shares": [extra]}).to_string(),
            json!({"schema": schema, "plans": [plan]}).to_string(),
            extra.clone(),
        ];
        for text in candidates {
            if let Ok(envelope) = decode_envelope(&text, &mut IdGen::new(1)) {
                prop_assert!(!envelope.workspace.plans.is_empty());
                for entry in &envelope.workspace.plans {
                    prop_assert!(entry.plan.validate().is_ok());
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    #[test]
    fn share_ids_in_paths_get_a_4xx_never_a_5xx(id in "\\PC{0,40}") {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let app = crate::common::test_app().await;
            let encoded: String = id.bytes().map(|b| format!("%{b:02X}")).collect();
            for uri in [
                format!("/api/shares/{encoded}"),
                format!("/s/{encoded}"),
                format!("/s/{encoded}/export/csv"),
            ] {
                let (status, _) = crate::common::get(&app, &uri).await;
                assert!(status.is_client_error(), "{uri}: {status}");
            }
        });
    }
}
