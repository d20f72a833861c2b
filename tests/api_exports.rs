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
