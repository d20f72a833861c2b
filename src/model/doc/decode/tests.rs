use super::*;
use crate::model::doc::limits::ProblemKind;

fn decode(text: &str) -> Result<Plan, Vec<Problem>> {
    decode_plan_json(text, &mut IdGen::new(1))
}

#[test]
fn reads_a_canonical_document_unchanged() {
    let plan = Plan::new(
        "Sync",
        vec![Row {
            priority: Priority::P0,
            status: Status::Blocked,
            notes: "a\nb".into(),
            ..Row::blank(RowId::from("r1"))
        }],
    );
    assert_eq!(decode(&plan.to_json()), Ok(plan.clone()));
    let value: serde_json::Value = serde_json::from_str(&plan.to_json()).unwrap();
    assert_eq!(decode_plan(value, &mut IdGen::new(1)), Ok(plan));
}

#[test]
fn fills_in_what_a_hand_written_document_leaves_out() {
    let plan =
        decode(r#"{"rows":[{"item":"Queue","priority":"high","status":"doing","extra":1},{}]}"#)
            .unwrap();
    assert_eq!(plan.schema, PLAN_SCHEMA);
    assert_eq!(plan.title, DEFAULT_TITLE);
    assert_eq!(plan.rows[0].item, "Queue");
    assert_eq!(plan.rows[0].priority, Priority::P1);
    assert_eq!(plan.rows[0].status, Status::InProgress);
    assert_eq!(plan.rows[1].priority, Priority::P2);
    assert_ne!(plan.rows[0].id, plan.rows[1].id);
    assert!(plan.validate().is_ok());
}

#[test]
fn numbers_are_read_as_text() {
    let plan = decode(r#"{"rows":[{"item":42,"notes":-1.5,"priority":1}]}"#).unwrap();
    assert_eq!(plan.rows[0].item, "42");
    assert_eq!(plan.rows[0].notes, "-1.5");
    assert_eq!(plan.rows[0].priority, Priority::P1);
    // Never an exponent; the browser reads them the same (end2end: content.spec.ts).
    let plan = decode(r#"{"rows":[{"item":1e21,"owner":2.5,"notes":1.5e-7}]}"#).unwrap();
    assert_eq!(plan.rows[0].item, "1000000000000000000000");
    assert_eq!(plan.rows[0].owner, "2.5");
    assert_eq!(plan.rows[0].notes, "0.00000015");
}

#[test]
fn duplicate_ids_are_replaced_not_rejected() {
    let plan =
        decode(r#"{"title":"t","rows":[{"id":"a","item":"1"},{"id":"a","item":"2"}]}"#).unwrap();
    assert_eq!(plan.rows[0].id.as_str(), "a");
    assert_ne!(plan.rows[1].id.as_str(), "a");
    assert_eq!(plan.rows[1].item, "2");
}

#[test]
fn reports_every_bad_cell_with_row_and_field() {
    let problems =
        decode(r#"{"title":"t","rows":[{"priority":"P9"},{"status":"someday","item":["x"]},7]}"#)
            .unwrap_err();
    let located: Vec<_> = problems
        .iter()
        .map(|p| (p.row, p.field.as_deref()))
        .collect();
    assert_eq!(
        located,
        [
            (Some(1), Some("priority")),
            (Some(2), Some("item")),
            (Some(2), Some("status")),
            (Some(3), None)
        ]
    );
    assert!(problems[0].message.contains("\"P9\" is not a priority"));
    assert_eq!(problems[3].message, "Each row must be a JSON object.");
}

#[test]
fn explains_json_syntax_errors_with_their_position() {
    let problems = decode("{\"title\": }").unwrap_err();
    assert!(problems[0]
        .message
        .starts_with("This is not valid JSON (line 1, column 11)"));
    assert!(!problems[0].message.contains(" at line "));
    assert!(decode("{} trailing").unwrap_err()[0]
        .message
        .starts_with("This is not valid JSON"));
}

#[test]
fn refuses_newer_schemas_and_non_objects() {
    let p = decode(r#"{"schema": 99, "rows": []}"#).unwrap_err();
    assert!(p[0].message.contains("newer version"));
    assert!(decode("[]").unwrap_err()[0].message.contains("JSON object"));
    assert!(decode(r#"{"schema":"one","rows":[]}"#).is_err());
    assert!(decode(r#"{"schema":-1,"rows":[]}"#).is_err());
    assert!(decode(r#"{"title":"t"}"#).unwrap_err()[0]
        .message
        .contains("no \"rows\""));
    assert!(decode(r#"{"rows":{"a":1}}"#).unwrap_err()[0]
        .message
        .contains("must be a list"));
    assert!(decode(r#"{"title":{"x":1},"rows":[]}"#).unwrap_err()[0]
        .message
        .contains("title must be text"));
}

#[test]
fn a_repeated_field_is_named() {
    let p = decode(r#"{"rows":[{"item":"a","item":"b"}]}"#).unwrap_err();
    assert!(
        p[0].message.contains("duplicate field `item`"),
        "{}",
        p[0].message
    );
}

#[test]
fn too_many_rows_is_too_large() {
    let rows = vec!["{}"; MAX_ROWS + 1].join(",");
    let problems = decode(&format!(r#"{{"rows":[{rows}]}}"#)).unwrap_err();
    assert_eq!(problems[0].kind, ProblemKind::TooLarge);
}
