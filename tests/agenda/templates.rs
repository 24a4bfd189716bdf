//! Saved agenda templates: reused in another workshop, at most 100, replaced by name,
//! deleted by organizers.

use super::*;

#[tokio::test]
async fn templates_are_saved_by_organizers_and_reused_in_another_workshop() {
    use reqwest::Method;
    let server = TestServer::start().await;
    let (w, _f, ana, _bruno) = running(&server).await;
    let path = format!("/api/workshops/{}/agenda-templates", w.id);
    let fac = server.facilitator(&w, "Fran").await;
    // Staff read them: the reference agenda is built in.
    let (status, v) = call(&server, Method::GET, &path, Some(&fac.token), None).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["templates"][0]["builtin"], true);
    assert_eq!(v["templates"][0]["segments"][2]["hidden"], true, "{v}");
    assert_eq!(v["templates"].as_array().unwrap().len(), 1);
    // Delegates neither read nor save; facilitators do not save; no token is 401.
    let save = json!({"name": "Our agenda"});
    for (token, method, body, code) in [
        (Some(ana.token.as_str()), Method::GET, None, 403),
        (
            Some(ana.token.as_str()),
            Method::POST,
            Some(save.clone()),
            403,
        ),
        (
            Some(fac.token.as_str()),
            Method::POST,
            Some(save.clone()),
            403,
        ),
        (None, Method::GET, None, 401),
    ] {
        let (status, v) = call(&server, method, &path, token, body).await;
        assert_eq!(status, code, "{v}");
    }
    // Bad templates get stable codes.
    let org = Some(w.organizer_token.as_str());
    for (body, status_code, code) in [
        (json!({"name": " "}), 400, "invalid"),
        (json!({"name": "x".repeat(121)}), 413, "too_large"),
        (
            json!({"name": "Going Digital 2020 (reference workshop)"}),
            409,
            "conflict",
        ),
        (json!({"name": "Empty", "segments": []}), 400, "invalid"),
        (
            json!({"name": "Long", "segments": vec![json!({"title": "S"}); 41]}),
            413,
            "too_large",
        ),
        (
            json!({"name": "Odd", "segments": [{"title": "S", "colour": "red"}]}),
            400,
            "invalid",
        ),
    ] {
        let (status, v) = call(&server, Method::POST, &path, org, Some(body)).await;
        assert_eq!(
            (status, v["code"].as_str()),
            (status_code, Some(code)),
            "{v}"
        );
    }
    // The organizer saves this workshop's agenda; another workshop's staff find it.
    let (status, v) = call(&server, Method::POST, &path, org, Some(save)).await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["segments"].as_array().unwrap().len(), 3);
    let other = server.workshop().await;
    let path2 = format!("/api/workshops/{}/agenda-templates", other.id);
    let token2 = Some(other.organizer_token.as_str());
    let (_, v) = call(&server, Method::GET, &path2, token2, None).await;
    let ours = &v["templates"][1];
    assert_eq!(ours["name"], "Our agenda");
    assert_eq!(ours["segments"], segments(), "saved as set");
    let mut o = server.connect(&other.organizer_token).await;
    o.ok(json!({"type": "set_agenda", "version": 0, "segments": ours["segments"]}))
        .await;
    // A token of another workshop cannot use this workshop's path.
    let (status, _) = call(&server, Method::GET, &path, token2, None).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn at_most_100_templates_are_saved_and_saving_a_name_again_replaces_it() {
    use reqwest::Method;
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let path = format!("/api/workshops/{}/agenda-templates", w.id);
    let org = Some(w.organizer_token.as_str());
    let body = |name: String| json!({"name": name, "segments": [{"title": "Welcome"}]});
    for i in 0..100 {
        let (status, v) = call(
            &server,
            Method::POST,
            &path,
            org,
            Some(body(format!("T{i:03}"))),
        )
        .await;
        assert_eq!(status, 201, "{i}: {v}");
    }
    let (status, v) = call(&server, Method::POST, &path, org, Some(body("T100".into()))).await;
    assert_eq!(
        (status, v["code"].as_str()),
        (413, Some("too_large")),
        "{v}"
    );
    // A saved name is replaced, not added.
    let again =
        json!({"name": "T007", "segments": [{"title": "Vote", "where": "rooms", "phase": "vote"}]});
    let (status, v) = call(&server, Method::POST, &path, org, Some(again)).await;
    assert_eq!(status, 201, "{v}");
    let (_, v) = call(&server, Method::GET, &path, org, None).await;
    let templates = v["templates"].as_array().expect("templates");
    assert_eq!(templates.len(), 101, "the built-in one and 100 saved");
    let t7 = templates
        .iter()
        .find(|t| t["name"] == "T007")
        .expect("T007");
    assert_eq!(t7["segments"][0]["title"], "Vote");
}

/// The organizer deletes a saved template, for every workshop of the server; staff of
/// another kind, delegates and no token cannot; an unknown name is 404 `not_found`; the
/// built-in template is 409 `conflict` and stays.
#[tokio::test]
async fn organizers_delete_saved_templates_but_not_the_built_in_one() {
    use reqwest::Method;
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let path = format!("/api/workshops/{}/agenda-templates", w.id);
    let org = Some(w.organizer_token.as_str());
    for name in ["Our plan", "Día 2 / tarde"] {
        let body = json!({"name": name, "segments": [{"title": "Welcome"}]});
        let (status, v) = call(&server, Method::POST, &path, org, Some(body)).await;
        assert_eq!(status, 201, "{v}");
    }
    let names = |v: &Value| -> Vec<String> {
        v["templates"]
            .as_array()
            .expect("templates")
            .iter()
            .map(|t| t["name"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let fac = server.facilitator(&w, "Fran").await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let other = server.workshop().await;
    let ours = format!("{path}/{}", segment("Our plan"));
    for (token, code) in [
        (None, "unauthorized"),
        (Some(ana.token.as_str()), "forbidden"),
        (Some(fac.token.as_str()), "forbidden"),
        (Some(other.organizer_token.as_str()), "forbidden"),
    ] {
        let (status, v) = call(&server, Method::DELETE, &ours, token, None).await;
        let want = if code == "unauthorized" { 401 } else { 403 };
        assert_eq!((status, v["code"].as_str()), (want, Some(code)), "{v}");
    }
    let builtin = format!("{path}/{}", segment(REFERENCE));
    let (status, v) = call(&server, Method::DELETE, &builtin, org, None).await;
    assert_eq!((status, v["code"].as_str()), (409, Some("conflict")), "{v}");
    let unknown = format!("{path}/{}", segment("Nope"));
    let (status, v) = call(&server, Method::DELETE, &unknown, org, None).await;
    assert_eq!(
        (status, v["code"].as_str()),
        (404, Some("not_found")),
        "{v}"
    );
    let (_, v) = call(&server, Method::GET, &path, org, None).await;
    assert_eq!(names(&v), [REFERENCE, "Día 2 / tarde", "Our plan"]);

    // A name with a slash and accents, percent-encoded; then once more: gone.
    let odd = format!("{path}/{}", segment("Día 2 / tarde"));
    let (status, v) = call(&server, Method::DELETE, &odd, org, None).await;
    assert_eq!(status, 204, "{v}");
    let (status, v) = call(&server, Method::DELETE, &odd, org, None).await;
    assert_eq!(
        (status, v["code"].as_str()),
        (404, Some("not_found")),
        "{v}"
    );
    // Templates are the server's: another workshop's organizer deletes one under theirs.
    let theirs = format!(
        "/api/workshops/{}/agenda-templates/{}",
        other.id,
        segment("Our plan")
    );
    let token2 = Some(other.organizer_token.as_str());
    let (status, v) = call(&server, Method::DELETE, &theirs, token2, None).await;
    assert_eq!(status, 204, "{v}");
    let (_, v) = call(&server, Method::GET, &path, org, None).await;
    assert_eq!(names(&v), [REFERENCE]);
}
