#![cfg(feature = "ssr")]
//! The pages, through the real router.

use crate::common::{get, html_escape, test_app};
use axum::http::StatusCode;
use syncplan::template::{content_checked_label, default_plan, CONTENT_CHECKED, FAQ, PAGE_TITLE};

#[tokio::test]
async fn the_editor_renders_the_whole_template_server_side() {
    let app = test_app().await;
    let (status, html) = get(&app, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("<h1>{PAGE_TITLE}")), "page title");
    for header in [
        "#", "Item", "Category", "Priority", "Owner", "Status", "Notes",
    ] {
        assert!(
            html.contains(&format!(
                ">{header}<span aria-hidden=\"true\" class=\"sort-mark\""
            )),
            "column {header}"
        );
    }
    let plan = default_plan();
    assert!(plan.rows.len() >= 25);
    for row in &plan.rows {
        assert!(
            html.contains(&html_escape(&row.item)),
            "row item {:?}",
            row.item
        );
        assert!(
            html.contains(&format!("data-row-id=\"{}\"", row.id)),
            "row id {}",
            row.id
        );
    }
    for faq in FAQ {
        assert!(
            html.contains(&html_escape(faq.question)),
            "FAQ question {:?}",
            faq.question
        );
        assert!(
            html.contains(&format!("id=\"{}\"", faq.id)),
            "FAQ anchor {}",
            faq.id
        );
    }
    assert_eq!(html.matches("class=\"faq-item\"").count(), FAQ.len());
    // Every answer shows its sources, and the page says when they were checked.
    assert_eq!(html.matches("class=\"faq-sources\"").count(), FAQ.len());
    for faq in FAQ {
        for source in faq.sources {
            assert!(
                html.contains(&format!("href=\"{}\"", source.url)),
                "source link {}",
                source.url
            );
        }
    }
    assert!(
        html.contains(&format!("<time datetime=\"{CONTENT_CHECKED}\">")),
        "checked date"
    );
    assert!(
        html.contains(&content_checked_label()),
        "checked date as people read it"
    );
}

#[tokio::test]
async fn the_readiness_summary_is_rendered_server_side() {
    let app = test_app().await;
    let (_, html) = get(&app, "/").await;
    let p0 = default_plan()
        .rows
        .iter()
        .filter(|r| r.priority == syncplan::model::Priority::P0)
        .count();
    assert!(
        html.contains(&format!("0 of {p0} P0 items done")),
        "P0 headline"
    );
    assert!(html.contains("class=\"bar status-bar\""), "status chart");
    // One bar per template category, each a filter button.
    assert_eq!(html.matches("class=\"category-button\"").count(), 10);
    assert!(
        html.contains("aria-label=\"Testing: 0 of 2 done\""),
        "category name with its figures for screen readers"
    );
    // The template covers every category: nothing is flagged.
    assert!(!html.contains("item yet"));
}

#[tokio::test]
async fn cells_carry_their_values_for_readers_without_javascript() {
    let app = test_app().await;
    let (_, html) = get(&app, "/").await;
    let first = &default_plan().rows[0];
    // The grid's cells are text in the page (the editor opens only where someone edits).
    assert!(html.contains(&format!(
        "<td role=\"gridcell\" data-col=\"item\"><span class=\"cell-text\">{}</span>",
        html_escape(&first.item)
    )));
    assert!(html.contains(&format!(
        "<td role=\"gridcell\" data-col=\"notes\">{}</td>",
        html_escape(&first.notes)
    )));
    assert!(html.contains("<span class=\"pill priority-p0\">P0</span>"));
    assert!(html.contains("<span class=\"pill status-not-started\">Not started</span>"));
    assert!(html.contains("role=\"grid\""));
    let body = &html[html.find("<tbody").unwrap()..html.find("</tbody>").unwrap()];
    for control in ["<select", "<input", "<textarea"] {
        assert!(!body.contains(control), "no {control} per cell");
    }
}

#[tokio::test]
async fn unknown_paths_get_the_404_page() {
    let app = test_app().await;
    for path in [
        "/no/such/page",
        "/s/",
        "/s/AAAAAAAAAAAAAAAAAAAAAA/more",
        "/e/a/b",
    ] {
        let (status, html) = get(&app, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(html.contains("Page not found"), "{path}");
        assert!(html.contains("href=\"/\""), "{path}");
    }
}

#[tokio::test]
async fn an_edit_link_opens_the_editor() {
    let app = test_app().await;
    let (status, html) = get(&app, "/e/AAAAAAAAAAAAAAAAAAAAAA").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("role=\"grid\""));
    // Without JavaScript it points at the read-only view of the same share.
    assert!(html.contains("href=\"/s/AAAAAAAAAAAAAAAAAAAAAA\""));
}

#[tokio::test]
async fn healthz_answers_ok() {
    let app = test_app().await;
    let (status, body) = get(&app, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "ok");
}

#[tokio::test]
async fn each_page_names_itself_in_its_head() {
    let app = test_app().await;
    let head = |html: &str| html[..html.find("</head>").unwrap()].to_owned();
    let (_, html) = get(&app, "/").await;
    let editor = head(&html);
    assert!(editor.contains("<title>Background sync planning template · syncplan</title>"));
    assert!(editor.contains("<meta name=\"description\" content=\"Plan reliable background sync"));
    assert!(editor.contains("<link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">"));
    assert!(!editor.contains("noindex"));
    // A share page, here one that does not exist, is never indexed.
    let (_, html) = get(&app, "/s/AAAAAAAAAAAAAAAAAAAAAA").await;
    let share = head(&html);
    assert!(share.contains("<title>This shared plan does not exist · syncplan</title>"));
    assert!(share.contains("<meta name=\"robots\" content=\"noindex, nofollow\">"));
    let (_, html) = get(&app, "/nowhere").await;
    assert!(head(&html).contains("<title>Page not found · syncplan</title>"));
}
