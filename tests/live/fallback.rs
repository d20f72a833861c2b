//! Where WebSockets are blocked: Server-Sent Events and `POST` carry the same protocol.

use super::support::*;
use std::time::Duration;
use syncplan::model::{Field, RowId};
use syncplan::shared::wire::{
    self, ClientMsg, Hello, Presence, Role, ServerMsg, KEY_HEADER, PROTOCOL, REPLICA_HEADER,
    TOKEN_HEADER,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fallback_streams_events_and_takes_ops_by_post() {
    let server = start(None, |_| {}).await;
    let (id, _, edit) = live_share(&server.router).await;
    let hello = wire::encode(&ClientMsg::Hello(Hello {
        protocol: PROTOCOL,
        token: Some(edit.as_str().into()),
        known: None,
        replica: 9,
        key: key_of(9),
        name: "Fallback".into(),
        owner: None,
    }));
    let stream =
        reqwest_like::post(server.addr, &format!("/api/live/{id}/events"), &[], &hello).await;
    assert_eq!(stream.status, 200);
    // Sent through a socket-less POST; the stream shows it logged.
    let batch = batch_of(
        (9 << 32) | 1,
        vec![owner_op("r3", "Via fallback", now(), 9)],
    );
    let posting = {
        let addr = server.addr;
        let id = id.clone();
        let edit = edit.clone();
        let body = wire::encode(&ClientMsg::Ops(batch.clone()));
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let r = reqwest_like::post(
                addr,
                &format!("/api/live/{id}/send"),
                &[(TOKEN_HEADER, &edit), ("x-syncplan-replica", "9")],
                &body,
            )
            .await;
            r.status
        })
    };
    let messages = sse_messages(stream, 3).await;
    assert!(matches!(
        messages[0],
        ServerMsg::Welcome {
            role: Role::Editor,
            ..
        }
    ));
    assert!(matches!(messages[1], ServerMsg::Snapshot { .. }));
    match &messages[2] {
        ServerMsg::Ops(l) => assert_eq!(l.batch, batch.id),
        other => panic!("expected the batch, got {other:?}"),
    }
    assert_eq!(posting.await.unwrap(), 200);
    // Without the secret: a typed refusal, nothing written.
    let r = reqwest_like::post(
        server.addr,
        &format!("/api/live/{id}/send"),
        &[(TOKEN_HEADER, "wrong")],
        &wire::encode(&ClientMsg::Ops(batch_of(
            5,
            vec![owner_op("r1", "no", now(), 9)],
        ))),
    )
    .await;
    assert_eq!(r.status, 403);
    // Presence through the fallback: only from the page whose stream bound the replica
    // (its key), with the edit secret.
    let presence = wire::encode(&ClientMsg::Presence(Presence {
        name: "Fallback".into(),
        cell: Some((RowId::from("r1"), Field::Owner)),
    }));
    let key = key_of(9).to_string();
    let r = reqwest_like::post(
        server.addr,
        &format!("/api/live/{id}/send"),
        &[
            (TOKEN_HEADER, &edit),
            (REPLICA_HEADER, "9"),
            (KEY_HEADER, &key),
        ],
        &presence,
    )
    .await;
    assert_eq!(r.status, 200);
    for headers in [
        // Someone else's replica (seen in presence), without its key.
        vec![
            (TOKEN_HEADER, edit.as_str()),
            (REPLICA_HEADER, "9"),
            (KEY_HEADER, "1"),
        ],
        // No secret at all.
        vec![(REPLICA_HEADER, "9"), (KEY_HEADER, key.as_str())],
        // A replica with no stream open.
        vec![
            (TOKEN_HEADER, edit.as_str()),
            (REPLICA_HEADER, "77"),
            (KEY_HEADER, "1"),
        ],
    ] {
        let r = reqwest_like::post(
            server.addr,
            &format!("/api/live/{id}/send"),
            &headers,
            &presence,
        )
        .await;
        assert_eq!(r.status, 403, "{headers:?}");
    }
    assert_eq!(
        share_json(&server.router, &id).await.rows[2].owner,
        "Via fallback"
    );
    // A stream for a secret that does not work is refused with a status.
    let bad = wire::encode(&ClientMsg::Hello(Hello {
        protocol: PROTOCOL,
        token: Some("wrong".into()),
        known: None,
        replica: 9,
        key: key_of(9),
        name: String::new(),
        owner: None,
    }));
    let r = reqwest_like::post(server.addr, &format!("/api/live/{id}/events"), &[], &bad).await;
    assert_eq!(r.status, 403);
}
