#![cfg(feature = "ssr")]
//! `POST /api/export/{format}` and `POST /api/import`, through the real router.

use crate::common::{body_text, json_error, post, send, test_app};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use syncplan::model::{Plan, MAX_BODY_BYTES, MAX_ROWS};
use syncplan::template::default_plan;

#[tokio::test]
async fn every_format_downloads_with_its_type_and_name() {
    let app = test_app().await;
    let json = default_plan().to_json();
    for (format, content_type, name, start) in [
        (
            "csv",
            "text/csv; charset=utf-8",
            "background-sync-plan.csv",
            "#,Item,",
        ),
        (
            "excel-csv",
            "text/csv; charset=utf-8",
            "background-sync-plan-excel.csv",
            "\u{feff}#,Item,",
        ),
        (
            "notion-csv",
            "text/csv; charset=utf-8",
            "background-sync-plan-notion.csv",
            "Item,Category,",
        ),
        (
            "markdown",
            "text/markdown; charset=utf-8",
            "background-sync-plan.md",
            "# Background sync plan\n",
        ),
        (
            "json",
            "application/json",
            "background-sync-plan.json",
            "{\n  \"schema\": 1,",
        ),
    ] {
        let response = send(
            &app,
            post(
                &format!("/api/export/{format}"),
                "application/json",
                json.clone(),
            ),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK, "{format}");
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            content_type,
            "{format}"
        );
        assert_eq!(
            response.headers()[header::CONTENT_DISPOSITION],
            format!("attachment; filename=\"{name}\"").as_str(),
            "{format}"
        );
        let body = body_text(response).await;
        assert!(
            body.starts_with(start),
            "{format}: {}",
            &body[..40.min(body.len())]
        );
    }
}

#[tokio::test]
async fn a_plain_html_form_can_export() {
    let app = test_app().await;
    let form = serde_urlencoded::to_string([("plan", default_plan().to_json())]).unwrap();
    let response = send(
        &app,
        post("/api/export/csv", "application/x-www-form-urlencoded", form),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let csv = body_text(response).await;
    assert_eq!(csv.lines().count(), default_plan().rows.len() + 1);

    let body = json_error(
        &app,
        post(
            "/api/export/csv",
            "application/x-www-form-urlencoded",
            "other=1",
        ),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(body["error"].as_str().unwrap().contains("\"plan\""));
}

#[tokio::test]
async fn an_unknown_format_is_a_404_listing_the_formats() {
    let app = test_app().await;
    let body = json_error(
        &app,
        post(
            "/api/export/xlsx",
            "application/json",
            default_plan().to_json(),
        ),
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        body["formats"],
        serde_json::json!(["csv", "excel-csv", "notion-csv", "markdown", "json"])
    );
    assert!(body["error"].as_str().unwrap().contains("\"xlsx\""));
}

#[tokio::test]
async fn an_invalid_plan_is_a_422_naming_row_and_field() {
    let app = test_app().await;
    let body = json_error(
        &app,
        post(
            "/api/export/csv",
            "application/json",
            r#"{"title":"t","rows":[{"item":"a"},{"item":"b","priority":"urgent-ish"}]}"#,
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["row"], 2);
    assert_eq!(body["field"], "priority");
    assert_eq!(body["problems"][0]["column"], "priority");

    json_error(
        &app,
        post("/api/export/csv", "application/json", "{not json"),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
}

#[tokio::test]
async fn size_limits_are_413() {
    let app = test_app().await;
    let huge = format!(
        r#"{{"title":"t","rows":[{{"notes":"{}"}}]}}"#,
        "x".repeat(MAX_BODY_BYTES)
    );
    json_error(
        &app,
        post("/api/export/csv", "application/json", huge.clone()),
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    json_error(
        &app,
        post("/api/import", "application/json", huge),
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;

    let rows = vec!["{}"; MAX_ROWS + 1].join(",");
    let body = json_error(
        &app,
        post(
            "/api/export/json",
            "application/json",
            format!(r#"{{"rows":[{rows}]}}"#),
        ),
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    assert!(body["error"].as_str().unwrap().contains("2000"));
}

#[tokio::test]
async fn wrong_content_types_are_415() {
    let app = test_app().await;
    json_error(
        &app,
        post("/api/export/csv", "text/csv", "Item\nx\n"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    json_error(
        &app,
        post("/api/import", "application/xml", "<plan/>"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    let response = send(
        &app,
        Request::post("/api/import").body(Body::from("x")).unwrap(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn import_reads_csv_in_any_column_order() {
    let app = test_app().await;
    let response = send(
        &app,
        post(
            "/api/import?title=From%20Sheets",
            "text/csv; charset=utf-8",
            "Status,Item,Due\r\nDone,\"Queue, ordered\",today\r\n",
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-syncplan-ignored-columns"], "Due");
    let plan: Plan = serde_json::from_str(&body_text(response).await).unwrap();
    assert_eq!(plan.title, "From Sheets");
    assert_eq!(plan.rows.len(), 1);
    assert_eq!(plan.rows[0].item, "Queue, ordered");
    assert_eq!(plan.rows[0].status.as_str(), "Done");
}

#[tokio::test]
async fn export_then_import_gives_the_plan_back() {
    let app = test_app().await;
    let plan = default_plan();
    for (format, content_type) in [("json", "application/json"), ("csv", "text/csv")] {
        let exported = body_text(
            send(
                &app,
                post(
                    &format!("/api/export/{format}"),
                    "application/json",
                    plan.to_json(),
                ),
            )
            .await,
        )
        .await;
        let response = send(&app, post("/api/import", content_type, exported)).await;
        assert_eq!(response.status(), StatusCode::OK, "{format}");
        let back: Plan = serde_json::from_str(&body_text(response).await).unwrap();
        if format == "json" {
            assert_eq!(back, plan);
        } else {
            let strip = |p: &Plan| -> Vec<(String, String, String)> {
                p.rows
                    .iter()
                    .map(|r| (r.item.clone(), r.category.clone(), r.notes.clone()))
                    .collect()
            };
            assert_eq!(strip(&back), strip(&plan));
        }
    }
}

#[tokio::test]
async fn import_reports_every_problem_up_to_fifty() {
    let app = test_app().await;
    let mut csv = String::from("Item,Priority\n");
    for i in 0..80 {
        csv.push_str(&format!("row {i},P{}\n", 5 + i));
    }
    let body = json_error(
        &app,
        post("/api/import", "text/csv", csv),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let problems = body["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 50);
    assert_eq!(problems[0]["row"], 1);
    assert_eq!(problems[0]["column"], "priority");
    assert!(body["error"]
        .as_str()
        .unwrap()
        .starts_with("There are 50 problems"));
}

/// A Jira export as a team has it: its own column names, its own statuses.
const JIRA_SHAPED: &str = "Summary,Issue key,Status,Priority,Assignee,Sprint,Description\r\n\
Retry uploads,SYNC-1,Triage,Highest,Ana,Sprint 4,Backoff with jitter\r\n\
Queue writes,SYNC-2,Done,Low,Bo,Sprint 4,\r\n";

#[tokio::test]
async fn import_preview_shows_the_mapping_and_what_it_cannot_translate() {
    let app = test_app().await;
    let response = send(&app, post("/api/import?preview=1", "text/csv", JIRA_SHAPED)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    let preview: serde_json::Value = serde_json::from_str(&body_text(response).await).unwrap();
    assert_eq!(preview["rows"], 2);
    let target = |key: &str| {
        preview["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == key)
            .unwrap_or_else(|| panic!("no column {key}: {preview}"))["target"]
            .clone()
    };
    assert_eq!(target("Summary"), "item");
    assert_eq!(target("Assignee"), "owner");
    assert_eq!(target("Status"), "status");
    assert_eq!(target("Description"), "notes");
    let untranslated = preview["untranslated"].as_array().unwrap();
    assert_eq!(untranslated.len(), 1, "{preview}");
    assert_eq!(untranslated[0]["value"], "Triage");
    assert_eq!(untranslated[0]["rows"], serde_json::json!([1]));

    // Importing without saying what Triage means names the value and the row.
    let body = json_error(
        &app,
        post("/api/import", "text/csv", JIRA_SHAPED),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        body["error"].as_str().unwrap().contains("\"Triage\""),
        "{body}"
    );
}

#[tokio::test]
async fn import_follows_a_mapping_given_as_query_or_json() {
    let app = test_app().await;
    let query = "/api/import?title=Jira&column.Sprint=add-to-notes&column.Issue%20key=skip\
                 &status.triage=not-started";
    let response = send(&app, post(query, "text/csv", JIRA_SHAPED)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-syncplan-noted-columns"], "Sprint");
    assert_eq!(
        response.headers()["x-syncplan-ignored-columns"],
        "Issue key, Sprint"
    );
    let plan: Plan = serde_json::from_str(&body_text(response).await).unwrap();
    assert_eq!(plan.title, "Jira");
    assert_eq!(plan.rows.len(), 2);
    let first = &plan.rows[0];
    assert_eq!(first.item, "Retry uploads");
    assert_eq!(first.owner, "Ana");
    assert_eq!(first.status.as_str(), "Not started");
    assert!(
        first.notes.contains("Backoff with jitter"),
        "{}",
        first.notes
    );
    assert!(first.notes.contains("Sprint: Sprint 4"), "{}", first.notes);
    assert!(!first.notes.contains("SYNC-1"), "{}", first.notes);

    let mapping = serde_json::json!({
        "columns": {"Issue key": "item", "Summary": "notes", "Description": "skip"},
        "values": {"status": {"Triage": "Blocked"}}
    });
    let uri = format!(
        "/api/import?{}",
        serde_urlencoded::to_string([("mapping", mapping.to_string())]).unwrap()
    );
    let response = send(&app, post(&uri, "text/csv", JIRA_SHAPED)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let plan: Plan = serde_json::from_str(&body_text(response).await).unwrap();
    assert_eq!(plan.rows[0].item, "SYNC-1");
    assert!(plan.rows[0].notes.contains("Retry uploads"));
    assert_eq!(plan.rows[0].status.as_str(), "Blocked");

    for (bad, says) in [
        ("/api/import?column.Summary=title", "not a column target"),
        ("/api/import?status.triage=soon", "not a status"),
        ("/api/import?mapping=%7Bnope", "mapping could not be read"),
    ] {
        let body = json_error(
            &app,
            post(bad, "text/csv", JIRA_SHAPED),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert!(
            body["error"].as_str().unwrap().contains(says),
            "{bad}: {body}"
        );
    }
}

#[tokio::test]
async fn tickets_download_for_jira_gitlab_and_github() {
    let app = test_app().await;
    let plan = default_plan();
    let open = plan
        .rows
        .iter()
        .filter(|r| r.status.as_str() != "Done")
        .count();
    assert!(open > 0 && !plan.rows.is_empty());
    for (format, content_type, name, start) in [
        (
            "jira-csv",
            "text/csv; charset=utf-8",
            "background-sync-plan-jira.csv",
            "Summary,",
        ),
        (
            "gitlab-csv",
            "text/csv; charset=utf-8",
            "background-sync-plan-gitlab.csv",
            "title,description",
        ),
        (
            "github-script",
            "text/x-shellscript; charset=utf-8",
            "background-sync-plan-github-issues.sh",
            "#!/usr/bin/env bash\n",
        ),
    ] {
        let response = send(
            &app,
            post(
                &format!("/api/export/tickets/{format}?open_only=1"),
                "application/json",
                plan.to_json(),
            ),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK, "{format}");
        assert_eq!(response.headers()[header::CONTENT_TYPE], content_type);
        assert_eq!(
            response.headers()[header::CONTENT_DISPOSITION],
            format!("attachment; filename=\"{name}\"").as_str()
        );
        let body = body_text(response).await;
        assert!(
            body.starts_with(start),
            "{format}: {}",
            &body[..60.min(body.len())]
        );
        assert!(body.contains(
            &plan
                .rows
                .iter()
                .find(|r| r.status.as_str() != "Done")
                .unwrap()
                .item
        ));
    }
    let body = json_error(
        &app,
        post(
            "/api/export/tickets/trello",
            "application/json",
            plan.to_json(),
        ),
        StatusCode::NOT_FOUND,
    )
    .await;
    assert!(
        body["error"].as_str().unwrap().contains("jira-csv"),
        "{body}"
    );
}
