use super::*;
use crate::model::doc::plan::{Priority, Status};
use crate::model::session::share_ids::{EditToken, ShareId};

fn decode(text: &str) -> Result<Envelope, EnvelopeError> {
    decode_envelope(text, &mut IdGen::new(3))
}

#[test]
fn migrates_a_hand_written_schema_1_save() {
    // As the single-plan version of syncplan wrote it.
    let v1 = r#"{
        "schema": 1,
        "saved_at": "2026-10-01T09:30:00Z",
        "plan": {
            "schema": 1,
            "title": "Offline sync for Field App",
            "rows": [
                {"id": "t01", "item": "Trigger matrix", "category": "Sync triggers",
                 "priority": "P0", "owner": "Ana", "status": "In progress",
                 "notes": "foreground, reconnect, push"},
                {"id": "t02", "item": "Backoff", "category": "Battery",
                 "priority": "P1", "owner": "", "status": "Done", "notes": ""}
            ]
        }
    }"#;
    let env = decode(v1).unwrap();
    assert_eq!(env.schema, WORKSPACE_SCHEMA);
    assert_eq!(env.revision, 0);
    assert_eq!(env.saved_at, "2026-10-01T09:30:00Z");
    assert_eq!(env.workspace.active.as_str(), FIRST_PLAN_ID);
    let plan = env.workspace.plan(&env.workspace.active).unwrap();
    assert_eq!(plan.title, "Offline sync for Field App");
    assert_eq!(plan.rows.len(), 2);
    assert_eq!(plan.rows[0].owner, "Ana");
    assert_eq!(plan.rows[0].status, Status::InProgress);
    assert_eq!(plan.rows[1].priority, Priority::P1);
    assert_eq!(plan.rows[1].status, Status::Done);

    // What we write back is the current schema and reads back the same.
    let again = decode(&env.to_json()).unwrap();
    assert_eq!(again, env);
}

#[test]
fn round_trips_the_current_schema() {
    let env = Envelope {
        schema: WORKSPACE_SCHEMA,
        revision: 41,
        writer: "tab-a".into(),
        saved_at: "2026-11-25T10:00:00.000Z".into(),
        workspace: Workspace::with_plan(crate::template::default_plan()),
    };
    assert_eq!(decode(&env.to_json()), Ok(env));
}

#[test]
fn explains_what_is_wrong_with_a_damaged_save() {
    let err = |t: &str| decode(t).unwrap_err().0;
    assert!(err("{not json").starts_with("it is not valid JSON"));
    assert_eq!(err("[1]"), "it is not a JSON object");
    assert_eq!(err(r#"{"plans":[]}"#), "it has no schema number");
    assert!(err(r#"{"schema":7,"plans":[]}"#).contains("newer version"));
    assert_eq!(err(r#"{"schema":2,"plans":[]}"#), "it holds no plans");
    assert!(
        err(r#"{"schema":2,"plans":[{"id":"p","plan":{"rows":[{"status":"?"}]}}]}"#)
            .starts_with("plan 1 is damaged: Row 1, status")
    );
    assert_eq!(err(r#"{"schema":1}"#), "the schema 1 save has no plan");
}

#[test]
fn owned_shares_round_trip_and_damaged_ones_are_dropped() {
    let env = decode(
        r#"{"schema":2,"revision":1,"writer":"w","saved_at":"","active":"p1",
            "plans":[{"id":"p1","plan":{"title":"A","rows":[]}}],
            "shares":[{"plan":"p1","id":"abc","url":"http://x/s/abc","owner_token":"t"},
                      {"plan":"p1"},
                      {"plan":"gone","id":"d","url":"u","owner_token":"t"}]}"#,
    )
    .unwrap();
    assert_eq!(env.workspace.shares.len(), 1);
    let share = env.workspace.share_of(&PlanId("p1".into())).unwrap();
    assert_eq!(share.id.as_str(), "abc");
    assert_eq!(decode(&env.to_json()).unwrap(), env);
}

#[test]
fn an_unknown_active_plan_falls_back_to_the_first() {
    let env = decode(
        r#"{"schema":2,"revision":3,"writer":"w","saved_at":"","active":"gone",
            "plans":[{"id":"p1","plan":{"title":"A","rows":[]}}]}"#,
    )
    .unwrap();
    assert_eq!(env.workspace.active.as_str(), "p1");
    assert_eq!(env.revision, 3);
}

#[test]
fn newer_means_higher_revision_then_writer() {
    let mut env = decode(
        &Envelope {
            schema: WORKSPACE_SCHEMA,
            revision: 5,
            writer: "b".into(),
            saved_at: String::new(),
            workspace: Workspace::with_plan(Plan::new("x", vec![])),
        }
        .to_json(),
    )
    .unwrap();
    assert!(env.is_newer_than(4, "z"));
    assert!(env.is_newer_than(5, "a"));
    assert!(!env.is_newer_than(5, "b"));
    env.revision = 4;
    assert!(!env.is_newer_than(5, "a"));
}

#[test]
fn migrates_a_hand_written_schema_2_save_to_documents() {
    // As syncplan wrote it before plans were replicated documents.
    let v2 = r#"{"schema":2,"revision":12,"writer":"tab-1","saved_at":"2026-11-20T08:00:00Z",
        "active":"p2",
        "plans":[
          {"id":"main","plan":{"schema":1,"title":"Field App","rows":[
            {"id":"t01","item":"Trigger matrix","category":"Sync triggers","priority":"P0",
             "owner":"Ana","status":"In progress","notes":"foreground"},
            {"id":"t02","item":"Backoff","category":"Battery","priority":"P2",
             "owner":"","status":"Not started","notes":""}]}},
          {"id":"p2","plan":{"title":"Second","rows":[]}}],
        "shares":[{"plan":"main","id":"s1","url":"http://x/s/s1","owner_token":"t"}]}"#;
    let env = decode(v2).unwrap();
    assert_eq!(env.schema, 3);
    assert_eq!(env.revision, 12);
    assert_eq!(env.workspace.active.as_str(), "p2");
    let main = env.workspace.entry(&PlanId("main".into())).unwrap();
    assert_eq!(main.plan.title, "Field App");
    assert_eq!(main.plan.rows.len(), 2);
    assert_eq!(main.plan.rows[0].owner, "Ana");
    assert_eq!(main.doc.plan(), main.plan, "the document holds the plan");
    // Nobody edited it yet: every register is unedited content.
    assert!(main.doc.ops().iter().all(|op| op.stamp().is_unedited()));
    assert!(main.live.is_none());
    assert_eq!(env.workspace.shares.len(), 1);
    // Written back as schema 3, it reads back the same.
    let json = env.to_json();
    assert!(json.contains(r#""schema":3"#) && json.contains(r#""doc""#));
    assert_eq!(decode(&json).unwrap(), env);
}

#[test]
fn a_live_plan_is_stored_as_its_link_and_read_back_with_its_queue() {
    use crate::model::{CellValue, Op, Stamp, SyncState};
    let plan = crate::template::default_plan();
    let confirmed = Doc::from_plan(&plan);
    let mut sync = SyncState::new(confirmed, 7);
    let row = plan.rows[0].id.clone();
    sync.local([Op::Cell {
        row: row.clone(),
        value: CellValue::Owner("Queued offline".into()),
        stamp: Stamp {
            wall: 1_700_000_000_000,
            count: 0,
            replica: 42,
        },
    }]);
    let mut workspace = Workspace::with_plan(plan);
    let view = sync.view();
    workspace.plans[0] = PlanEntry::from_doc(
        PlanId("main".into()),
        view,
        Some(LiveLink {
            share: ShareId::parse("abcAAAAAAAAAAAAAAAAAAA").unwrap(),
            token: EditToken::new("secret"),
            sync,
            resuming: false,
        }),
    );
    let env = Envelope {
        schema: WORKSPACE_SCHEMA,
        revision: 1,
        writer: "w".into(),
        saved_at: String::new(),
        workspace,
    };
    let json = env.to_json();
    assert!(
        !json.contains(r#""doc""#),
        "a live plan is stored once, as its link"
    );
    let back = decode(&json).unwrap();
    assert_eq!(back, env);
    assert_eq!(back.workspace.plans[0].plan.rows[0].owner, "Queued offline");
    assert_eq!(
        back.workspace.plans[0]
            .live
            .as_ref()
            .unwrap()
            .sync
            .waiting(),
        1
    );
}

#[test]
fn a_hand_edited_document_is_brought_within_the_rules() {
    let long = "x".repeat(300);
    let text = format!(
        r#"{{"schema":3,"revision":1,"writer":"w","saved_at":"","active":"p",
          "plans":[{{"id":"p","doc":{{"title":["{long}",[5,0,9]],"rows":{{
            "bad id!":{{"alive":[true,[1,0,1]],"position":["V",[1,0,1]],"item":["",[0,0,0]],
              "category":["",[0,0,0]],"priority":["P2",[0,0,0]],"owner":["",[0,0,0]],
              "status":["Not started",[0,0,0]],"notes":[]}},
            "ok":{{"alive":[true,[1,0,1]],"position":["%%",[1,0,1]],"item":["a\u0000b",[1,0,1]],
              "category":["",[0,0,0]],"priority":["P2",[0,0,0]],"owner":["",[0,0,0]],
              "status":["Not started",[0,0,0]],"notes":[]}}}}}}}}]}}"#
    );
    let env = decode(&text).unwrap();
    let plan = &env.workspace.plans[0].plan;
    assert_eq!(plan.title.chars().count(), crate::model::MAX_TITLE_CHARS);
    assert_eq!(plan.rows.len(), 1);
    assert_eq!(plan.rows[0].item, "ab");
}
