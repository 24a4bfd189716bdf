//! The OpenAPI document served at `/api/openapi.json` describes the real answers: every
//! endpoint is called for each documented outcome we can provoke, and each answer's status
//! and content type must be documented and its JSON body must validate against the schema.
//! docs/openapi.json must equal the served document (`UPDATE_OPENAPI=1` rewrites it).

mod common;
use common::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;

struct Checker {
    doc: Value,
    /// (method, path template) pairs whose answers were checked.
    seen: BTreeSet<(String, String)>,
}

impl Checker {
    /// Checks one answer against the operation `method path` of the document.
    async fn check(&mut self, method: &str, path: &str, response: reqwest::Response) -> Value {
        let status = response.status().as_u16().to_string();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string());
        let bytes = response.bytes().await.unwrap();
        let operation = &self.doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        let documented = &operation["responses"][&status];
        assert!(
            documented.is_object(),
            "{method} {path} answered {status}, which is not documented"
        );
        self.seen.insert((method.to_string(), path.to_string()));
        let Some(content_type) = content_type else {
            assert!(
                bytes.is_empty(),
                "{method} {path} {status}: a body without a type"
            );
            assert!(
                documented.get("content").is_none(),
                "{method} {path} {status}: documented with a body, answered none"
            );
            return Value::Null;
        };
        let schema = &documented["content"][&content_type]["schema"];
        assert!(
            schema.is_object(),
            "{method} {path} {status}: content type {content_type} is not documented"
        );
        if !content_type.starts_with("application/json") {
            return Value::Null;
        }
        let body: Value = serde_json::from_slice(&bytes).expect("a JSON body");
        let mut schema = schema.clone();
        schema["components"] = self.doc["components"].clone();
        let validator = jsonschema::validator_for(&schema).expect("a valid schema");
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {path} {status}: {errors:?}\n{body}"
        );
        body
    }

    /// Checks an answer that must be a documented 403 `forbidden`.
    async fn forbidden(&mut self, method: &str, path: &str, response: reqwest::Response) {
        let body = self.check(method, path, response).await;
        assert_eq!(body["code"], "forbidden", "{method} {path}: {body}");
    }
}

#[tokio::test]
async fn every_endpoint_answers_as_the_document_says() {
    let server = TestServer::start().await;
    let http = &server.http;
    let r = http
        .get(server.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let mut c = Checker {
        doc: doc.clone(),
        seen: BTreeSet::new(),
    };
    let get = |path: &str| http.get(server.url(path));

    c.check(
        "get",
        "/api/openapi.json",
        get("/api/openapi.json").send().await.unwrap(),
    )
    .await;
    c.check("get", "/healthz", get("/healthz").send().await.unwrap())
        .await;
    c.check("get", "/readyz", get("/readyz").send().await.unwrap())
        .await;
    c.check("get", "/metrics", get("/metrics").send().await.unwrap())
        .await;
    c.check("get", "/ws", get("/ws").send().await.unwrap())
        .await;
    // A browser page of another site may not open a WebSocket, nor change anything.
    let foreign = "http://elsewhere.example";
    c.forbidden(
        "get",
        "/ws",
        get("/ws")
            .header("upgrade", "websocket")
            .header("origin", foreign)
            .send()
            .await
            .unwrap(),
    )
    .await;

    // Creating.
    let create = |token: Option<&str>, body: Value| {
        let mut rq = http.post(server.url("/api/workshops")).json(&body);
        if let Some(t) = token {
            rq = rq.bearer_auth(t);
        }
        rq
    };
    c.forbidden(
        "post",
        "/api/workshops",
        create(Some(ADMIN_TOKEN), json!({"title": "T"}))
            .header("origin", foreign)
            .send()
            .await
            .unwrap(),
    )
    .await;
    for (token, body) in [
        (None, json!({"title": "T"})),
        (Some("wrong"), json!({"title": "T"})),
        (Some(ADMIN_TOKEN), json!({"title": "T", "colour": "red"})),
        (Some(ADMIN_TOKEN), json!({"title": "x".repeat(300)})),
    ] {
        c.check(
            "post",
            "/api/workshops",
            create(token, body).send().await.unwrap(),
        )
        .await;
    }
    let created = c
        .check(
            "post",
            "/api/workshops",
            create(
                Some(ADMIN_TOKEN),
                json!({"title": "Andes", "columns": ["strengths", {"key": "ideas", "title": "Ideas"}], "themes": ["data"]}),
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
    let w = server.workshop().await;
    assert_eq!(created["title"], "Andes");

    // Looking a join code up.
    let found = c
        .check(
            "get",
            "/api/codes/{code}",
            get(&format!("/api/codes/{}", w.delegate_code))
                .send()
                .await
                .unwrap(),
        )
        .await;
    assert_eq!(found["workshop"], w.id.as_str());
    assert_eq!(found["role"], "delegate");
    c.check(
        "get",
        "/api/codes/{code}",
        get("/api/codes/NOSUCHCODE").send().await.unwrap(),
    )
    .await;

    // The admin's list of workshops: with the admin token, without one, with another.
    let list = "/api/admin/workshops";
    for token in [Some(ADMIN_TOKEN), None, Some("not-the-admin-token")] {
        let mut rq = get(list);
        if let Some(t) = token {
            rq = rq.bearer_auth(t);
        }
        c.check("get", list, rq.send().await.unwrap()).await;
    }

    // Joining.
    let join_path = "/api/workshops/{id}/join";
    let join = |id: &str, body: Value| {
        http.post(server.url(&format!("/api/workshops/{id}/join")))
            .json(&body)
    };
    let unknown = "6f1c1a0e-3b9a-4c1e-9a57-6a7e2f3b1c00";
    for (id, body) in [
        (
            w.id.as_str(),
            json!({"code": "ABCDEFGH", "name": "Eve", "country": "AR"}),
        ),
        (
            w.id.as_str(),
            json!({"code": w.delegate_code, "name": "Ana"}),
        ),
        (
            unknown,
            json!({"code": w.delegate_code, "name": "Ana", "country": "AR"}),
        ),
        (
            w.id.as_str(),
            json!({"code": w.delegate_code, "name": "x".repeat(100), "country": "AR"}),
        ),
    ] {
        c.check("post", join_path, join(id, body).send().await.unwrap())
            .await;
    }
    c.forbidden(
        "post",
        join_path,
        join(
            &w.id,
            json!({"code": w.delegate_code, "name": "Ana", "country": "AR"}),
        )
        .header("origin", foreign)
        .send()
        .await
        .unwrap(),
    )
    .await;
    let delegate = c
        .check(
            "post",
            join_path,
            join(
                &w.id,
                json!({"code": w.delegate_code, "name": "Ana", "country": "AR", "language": "es"}),
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
    let delegate_token = delegate["token"].as_str().unwrap().to_string();
    let (facilitator, mut f) = staff(&server, &w).await;
    f.ok(post_card(&w.rooms[0], "strengths", "a staff card"))
        .await;

    // Reports and exports, with every kind of caller.
    let callers = [
        None,
        Some("not-a-token"),
        Some(delegate_token.as_str()),
        Some(facilitator.token.as_str()),
        Some(w.organizer_token.as_str()),
    ];
    for report in ["overview", "consolidation", "audio"] {
        let template = format!("/api/workshops/{{id}}/{report}");
        for id in [w.id.as_str(), unknown] {
            for token in callers {
                let mut rq = get(&format!("/api/workshops/{id}/{report}"));
                if let Some(t) = token {
                    rq = rq.bearer_auth(t);
                }
                c.check("get", &template, rq.send().await.unwrap()).await;
            }
        }
    }
    let export = "/api/workshops/{id}/export";
    for format in ["md", "html", "docx", "csv", "json", "pdf"] {
        let rq = get(&format!("/api/workshops/{}/export?format={format}", w.id))
            .bearer_auth(&w.organizer_token);
        c.check("get", export, rq.send().await.unwrap()).await;
    }
    for token in [None, Some(delegate_token.as_str())] {
        let mut rq = get(&format!("/api/workshops/{}/export?format=md", w.id));
        if let Some(t) = token {
            rq = rq.bearer_auth(t);
        }
        c.check("get", export, rq.send().await.unwrap()).await;
    }

    // The review by delegations: before one is opened (404), then open.
    let review = "/api/workshops/{id}/review";
    for id in [w.id.as_str(), unknown] {
        for token in callers {
            let mut rq = get(&format!("/api/workshops/{id}/review"));
            if let Some(t) = token {
                rq = rq.bearer_auth(t);
            }
            c.check("get", review, rq.send().await.unwrap()).await;
        }
    }
    {
        let mut org = server.connect(&w.organizer_token).await;
        org.ok(json!({"type": "add_conclusion", "theme": "data", "text": "Open data."}))
            .await;
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
            + 3_600_000;
        org.ok(json!({"type": "open_review", "deadline": deadline}))
            .await;
    }
    for token in [delegate_token.as_str(), w.organizer_token.as_str()] {
        let rq = get(&format!("/api/workshops/{}/review", w.id)).bearer_auth(token);
        c.check("get", review, rq.send().await.unwrap()).await;
    }

    // The projector link, made by every kind of caller, and its view.
    let projector = "/api/workshops/{id}/projector";
    let make_link = |id: &str, token: Option<&str>| {
        let rq = http.post(server.url(&format!("/api/workshops/{id}/projector")));
        match token {
            Some(t) => rq.bearer_auth(t),
            None => rq,
        }
    };
    for token in callers {
        c.check(
            "post",
            projector,
            make_link(&w.id, token).send().await.unwrap(),
        )
        .await;
    }
    c.check(
        "post",
        projector,
        make_link(unknown, Some(&w.organizer_token))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let link = c
        .check(
            "post",
            projector,
            make_link(&w.id, Some(&w.organizer_token))
                .send()
                .await
                .unwrap(),
        )
        .await;
    let projector_token = link["token"].as_str().unwrap().to_string();
    for (id, token) in [
        (w.id.as_str(), None),
        (w.id.as_str(), Some(w.organizer_token.as_str())),
        (unknown, Some(projector_token.as_str())),
    ] {
        let mut rq = get(&format!("/api/workshops/{id}/projector"));
        if let Some(t) = token {
            rq = rq.bearer_auth(t);
        }
        c.check("get", projector, rq.send().await.unwrap()).await;
    }
    let view = get(&format!("/api/workshops/{}/projector", w.id))
        .bearer_auth(&projector_token)
        .send()
        .await
        .unwrap();
    let etag = view.headers()["etag"].to_str().unwrap().to_string();
    c.check("get", projector, view).await;
    let unchanged = get(&format!("/api/workshops/{}/projector", w.id))
        .bearer_auth(&projector_token)
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), 304);
    c.check("get", projector, unchanged).await;

    // The roster (tests/roster.rs tests it in depth).
    let roster = format!("/api/workshops/{}/roster", w.id);
    let path = "/api/workshops/{id}/roster";
    for token in [
        None,
        Some(delegate_token.as_str()),
        Some(w.organizer_token.as_str()),
    ] {
        let mut rq = get(&roster);
        if let Some(t) = token {
            rq = rq.bearer_auth(t);
        }
        c.check("get", path, rq.send().await.unwrap()).await;
    }
    let add = |table: &str| {
        http.post(server.url(&roster))
            .bearer_auth(&w.organizer_token)
            .json(&json!({ "table": table }))
    };
    let bad = add("name,country,role\nAna,XX,delegate\n")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    c.check("post", path, bad).await;
    let added = c
        .check(
            "post",
            path,
            add("name,country,role\nAna,BR,delegate\n")
                .send()
                .await
                .unwrap(),
        )
        .await;
    let person = added["links"][0]["id"].as_str().unwrap().to_string();
    let link = added["links"][0]["link"].as_str().unwrap().to_string();
    let join_path = "/api/workshops/{id}/roster/join";
    for l in ["0123456789abcdef", link.as_str()] {
        let rq = http
            .post(server.url(&format!("{roster}/join")))
            .json(&json!({ "link": l }));
        c.check("post", join_path, rq.send().await.unwrap()).await;
    }
    let link_path = "/api/workshops/{id}/roster/{person}/link";
    let person_url = server.url(&format!("{roster}/{person}/link"));
    for token in [delegate_token.as_str(), w.organizer_token.as_str()] {
        let rq = http.post(&person_url).bearer_auth(token);
        c.check("post", link_path, rq.send().await.unwrap()).await;
        let rq = http.delete(&person_url).bearer_auth(token);
        c.check("delete", link_path, rq.send().await.unwrap()).await;
    }
    let codes_path = "/api/workshops/{id}/roster/shared_codes";
    for body in [json!({"open": "no"}), json!({"open": true})] {
        let rq = http
            .put(server.url(&format!("{roster}/shared_codes")))
            .bearer_auth(&w.organizer_token)
            .json(&body);
        c.check("put", codes_path, rq.send().await.unwrap()).await;
    }

    // Agenda templates (tests/agenda/ tests them in depth).
    let templates = format!("/api/workshops/{}/agenda-templates", w.id);
    let path = "/api/workshops/{id}/agenda-templates";
    for token in [
        None,
        Some(delegate_token.as_str()),
        Some(w.organizer_token.as_str()),
    ] {
        let mut rq = get(&templates);
        if let Some(t) = token {
            rq = rq.bearer_auth(t);
        }
        c.check("get", path, rq.send().await.unwrap()).await;
    }
    let segments = json!([{"title": "Welcome", "where": "plenary", "minutes": 10}]);
    for (token, body) in [
        (
            delegate_token.as_str(),
            json!({"name": "Ours", "segments": segments}),
        ),
        (
            w.organizer_token.as_str(),
            json!({"name": "", "segments": segments}),
        ),
        (
            w.organizer_token.as_str(),
            json!({"name": "Ours", "segments": segments}),
        ),
    ] {
        let rq = http
            .post(server.url(&templates))
            .bearer_auth(token)
            .json(&body);
        c.check("post", path, rq.send().await.unwrap()).await;
    }
    let one = "/api/workshops/{id}/agenda-templates/{name}";
    for (token, name) in [
        (None, "Ours"),
        (Some(delegate_token.as_str()), "Ours"),
        (Some(w.organizer_token.as_str()), "Nope"),
        (
            Some(w.organizer_token.as_str()),
            "Going%20Digital%202020%20(reference%20workshop)",
        ),
        (Some(w.organizer_token.as_str()), "Ours"),
    ] {
        let mut rq = http.delete(server.url(&format!("{templates}/{name}")));
        if let Some(t) = token {
            rq = rq.bearer_auth(t);
        }
        c.check("delete", one, rq.send().await.unwrap()).await;
    }

    // Erasing, last.
    let erase = "/api/workshops/{id}";
    let from_elsewhere = http
        .delete(server.url(&format!("/api/workshops/{}", w.id)))
        .bearer_auth(&w.organizer_token)
        .header("origin", foreign)
        .send()
        .await
        .unwrap();
    assert_eq!(
        from_elsewhere.status(),
        403,
        "a foreign page erased a workshop"
    );
    c.check("delete", erase, from_elsewhere).await;
    for (id, token) in [
        (w.id.as_str(), None),
        (w.id.as_str(), Some(delegate_token.as_str())),
        (unknown, Some(w.organizer_token.as_str())),
        (w.id.as_str(), Some(w.organizer_token.as_str())),
    ] {
        let mut rq = http.delete(server.url(&format!("/api/workshops/{id}")));
        if let Some(t) = token {
            rq = rq.bearer_auth(t);
        }
        c.check("delete", erase, rq.send().await.unwrap()).await;
    }

    // Every documented operation was called.
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect();
    assert_eq!(documented, c.seen);
}

#[tokio::test]
async fn the_committed_copy_equals_the_served_document() {
    let server = TestServer::start().await;
    let served = server
        .http
        .get(server.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let copy = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(copy, format!("{served}\n")).unwrap();
    }
    let committed = std::fs::read_to_string(copy).unwrap();
    assert!(
        committed.trim_end() == served.trim_end(),
        "docs/openapi.json differs from GET /api/openapi.json: run \
         `UPDATE_OPENAPI=1 cargo test --test openapi` and commit the result"
    );
}
