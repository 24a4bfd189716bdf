//! The organizer page: creating and exporting a workshop, its themes, naming the lead
//! facilitator.

use super::*;

#[tokio::test]
async fn the_organizer_creates_a_workshop_and_exports_it() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let page = driver.page(LAPTOP.0, LAPTOP.1).await;
    page.goto(&server.url("/organizer")).await;
    page.wait_text("#create", "Create a workshop").await;
    page.screenshot("organizer-create").await;
    page.type_into("#admin", "not-the-token").await;
    page.type_into("#title", "Going Digital").await;
    page.click("#create-button").await;
    page.wait_text("#notices", "That admin token is not valid on this server.")
        .await;

    page.type_into("#admin", ADMIN_TOKEN).await;
    page.click("#more-options summary").await;
    page.type_into("#budget", "3").await;
    page.type_into("#per-card", "2").await;
    page.select("#visibility", "after_vote").await;
    page.click("#can-group").await;
    page.click("#create-button").await;
    page.wait_text("#ws-title", "Going Digital").await;
    let token = page
        .js(
            "const k = Object.keys(localStorage).find((k) => k.startsWith('cabildo.session.')); return JSON.parse(localStorage.getItem(k)).token;",
            vec![],
        )
        .await;
    let settings = server.connect(token.as_str().expect("token")).await.welcome["snapshot"]
        ["workshop"]
        .clone();
    assert_eq!(settings["votes_per_participant"], 3);
    assert_eq!(settings["max_votes_per_card"], 2);
    assert_eq!(settings["votes_visibility"], "after_vote");
    assert_eq!(settings["delegates_can_group"], true);
    let code = page.text("#d-code").await;
    assert_eq!(code.len(), 8, "{code}");
    page.wait_text("#d-link", &format!("/j/{code}")).await;
    page.until(
        "the QR code",
        "const q = document.querySelector('#qr'); return q.complete && q.naturalWidth > 0;",
        vec![],
    )
    .await;

    // The code the page shows opens the workshop the page created.
    let lookup: Value = server
        .http
        .get(server.url(&format!("/api/codes/{code}")))
        .send()
        .await
        .expect("lookup")
        .json()
        .await
        .expect("json");
    assert_eq!(lookup["title"], "Going Digital");
    assert_eq!(lookup["role"], "delegate");
    page.wait_text("#totals", "0 delegates").await;
    let workshop = lookup["workshop"].as_str().expect("id");
    let (status, joined) = server
        .post_json(
            &format!("/api/workshops/{workshop}/join"),
            json!({"code": code, "name": "Ana", "country": "AR"}),
        )
        .await;
    assert_eq!(status, 201, "{joined}");
    page.wait_text("#totals", "1 delegate from 1 country").await;

    for format in ["md", "html", "docx", "csv", "json"] {
        page.click(&format!("[data-format={format}]")).await;
        page.until(
            &format!("a downloaded .{format}"),
            "return document.querySelector('#notices').textContent.includes('Downloaded') && document.querySelector('#notices').textContent.includes(arguments[0]);",
            vec![json!(format!("({})", format.to_uppercase()).replace("(MD)", "(Markdown)").replace("(HTML)", "(web page, printable)").replace("(DOCX)", "(Word)"))],
        )
        .await;
    }
    // The files are in the downloads folder, each what it says it is.
    let file = |ext: &str| {
        std::fs::read_dir(page.downloads.path())
            .expect("downloads")
            .map(|e| e.expect("entry").path())
            .find(|p| p.extension().is_some_and(|e| e == ext))
    };
    for ext in ["md", "html", "docx", "csv", "json"] {
        let deadline = std::time::Instant::now() + browser::PAGE_WAIT;
        while file(ext).is_none_or(|p| std::fs::metadata(p).map_or(0, |m| m.len()) == 0) {
            assert!(std::time::Instant::now() < deadline, "no .{ext} downloaded");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    let read = |ext: &str| std::fs::read(file(ext).expect("the file")).expect("readable");
    assert!(String::from_utf8_lossy(&read("md")).contains("Going Digital"));
    assert!(String::from_utf8_lossy(&read("html")).contains("Going Digital"));
    assert!(String::from_utf8_lossy(&read("csv")).lines().count() >= 1);
    assert_eq!(&read("docx")[..2], b"PK", "a docx is a zip");
    let record: Value = serde_json::from_slice(&read("json")).expect("the JSON record");
    assert!(record.to_string().contains("Going Digital"), "{record}");
    page.screenshot("organizer").await;

    // Closing the session asks first; "No" leaves it open.
    let closed = |token: String| {
        let server = &server;
        async move { server.connect(&token).await.welcome["snapshot"]["session"]["closed"].clone() }
    };
    let token = token.as_str().expect("token").to_string();
    page.click("#close-ws").await;
    page.wait_text("dialog.confirm", "Close the session for everyone?")
        .await;
    page.screenshot("organizer-close-asks").await;
    page.accessible("the organizer's close confirmation").await;
    page.click("dialog.confirm [data-answer=no]").await;
    assert_eq!(closed(token.clone()).await, json!(false));
    page.click("#close-ws").await;
    page.click("dialog.confirm [data-answer=yes]").await;
    page.until(
        "the reopen button",
        "return !document.querySelector('#reopen-ws').hidden;",
        vec![],
    )
    .await;
    assert_eq!(closed(token.clone()).await, json!(true));
    page.click("#reopen-ws").await;
    page.until(
        "the close button",
        "return !document.querySelector('#close-ws').hidden;",
        vec![],
    )
    .await;
    assert_eq!(closed(token.clone()).await, json!(false));

    // Erasing asks for the title first.
    page.type_into("#erase-confirm", "wrong").await;
    page.click("#erase button[type=submit]").await;
    page.wait_text("#notices", "does not match").await;
    page.type_into("#erase-confirm", "Going Digital").await;
    page.click("#erase button[type=submit]").await;
    // Not just "was erased": the refusal above says "nothing was erased", and waiting
    // for that raced the lookup below against the erase. The page says "The workshop was
    // erased." on the 204, or "This workshop was erased." when the server closes its
    // connection with 4004; both come after the store's delete.
    page.wait_text("#notices", "workshop was erased").await;
    let lookup = server
        .http
        .get(server.url(&format!("/api/codes/{code}")))
        .send()
        .await
        .expect("lookup");
    assert_eq!(lookup.status(), 404);
    // The organizer token no longer opens anything.
    let mut ws = TestClient::raw(&server.ws_url()).await;
    raw_hello(&mut ws, &token).await;
    assert_eq!(raw_close_code(&mut ws).await, Some(4001));
    page.close().await;
}

#[tokio::test]
async fn the_organizer_edits_the_themes_and_names_the_lead_facilitator() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let mut org = server.connect(&w.organizer_token).await;
    let fran = server.facilitator(&w, "Fran").await;
    let gil = server.facilitator(&w, "Gil").await;

    // The organizer's page of an existing workshop, as after creating it.
    let page = as_organizer(&driver, &server, &w, "organizer", LAPTOP).await;
    page.wait_text("#lead-now", "Leads now: Fran").await;
    page.wait_text(
        "#totals",
        "0 delegates from 0 countries · 0 cards · 0 conclusions",
    )
    .await;

    page.select("#lead", &gil.id).await;
    page.click("#lead-form button[type=submit]").await;
    page.wait_text("#lead-now", "Leads now: Gil").await;
    let lead = org.event_of_type("lead_set").await;
    assert_eq!(lead["event"]["participant"], gil.id);
    assert_ne!(fran.id, gil.id);

    // A theme with a conclusion cannot go: the refusal is shown and the draft kept.
    org.ok(json!({"type": "add_conclusion", "theme": "divide", "text": "Connect rural areas."}))
        .await;
    let conclusion = org.event_of_type("conclusion_added").await["event"]["conclusion"].clone();
    page.wait_text("#totals", "1 conclusion").await;
    let themes = "return [...document.querySelectorAll('#theme-list input')].map((i) => i.value);";
    page.until(
        "six themes to edit",
        "return document.querySelectorAll('#theme-list input').length === 6;",
        vec![],
    )
    .await;
    page.type_into("[data-key=th-0]", "Governance").await;
    page.click("[data-key=thr-1]").await;
    page.type_into("#th-new", "Open data").await;
    page.click("#th-add").await;
    page.click("[data-key=thr-4]").await; // "Digital divide", which has a conclusion
    page.click("#themes-form button[type=submit]").await;
    page.wait_text("#notices", "That was not accepted").await;
    assert_eq!(
        page.js(themes, vec![]).await,
        json!([
            "Governance",
            "Public sector capabilities",
            "Digital innovation",
            "Design and delivery of public services",
            "Open data"
        ])
    );
    org.ok(json!({"type": "remove_conclusion", "conclusion": conclusion, "version": 1}))
        .await;
    page.click("#themes-form button[type=submit]").await;
    page.wait_text("#notices", "Themes saved").await;
    let set = org.event_of_type("themes_set").await;
    let keys: Vec<&str> = set["event"]["themes"]
        .as_array()
        .expect("themes")
        .iter()
        .map(|t| t["key"].as_str().expect("key"))
        .collect();
    assert_eq!(
        keys,
        [
            "governance",
            "capabilities",
            "innovation",
            "services",
            "open-data"
        ]
    );
    assert_eq!(set["event"]["themes"][0]["title"], "Governance");
    assert_eq!(set["event"]["themes"][4]["title"], "Open data");
    let held = server_snapshot(&server, &w).await["workshop"]["themes"].clone();
    assert_eq!(held, set["event"]["themes"]);
    page.screenshot("organizer-themes-lead").await;
    page.close().await;
}

#[tokio::test]
async fn the_organizer_names_the_lead_from_the_facilitator_page() {
    let Some((driver, server, w, mut org)) = started().await else {
        return;
    };
    // The first facilitator to join leads; the organizer hands the lead to the second.
    let fran = server.facilitator(&w, "Fran").await;
    let gil = server.facilitator(&w, "Gil").await;
    let org_id = w.json["organizer_id"].as_str().expect("id").to_string();

    // The organizer opens the facilitator page with their own session.
    let page = as_organizer(&driver, &server, &w, "facilitator", NARROW).await;
    let button = format!("[data-key='lead-{}']", gil.id);
    page.wait_text(&button, "Make lead").await;
    // Not offered for the one who already leads.
    assert_eq!(
        page.js(
            "return document.querySelectorAll('[data-key^=lead-]').length;",
            vec![]
        )
        .await,
        json!(1)
    );
    assert!(page
        .text(&format!("li[data-person='{}']", fran.id))
        .await
        .contains("lead facilitator"));
    page.click(&button).await;
    let set = org.event_of_type("lead_set").await;
    assert_eq!(set["event"]["participant"], gil.id);
    assert_eq!(set["by"], org_id);
    page.until(
        "Gil shown as lead, the button now beside Fran",
        "const li = document.querySelector(`li[data-person=\"${arguments[0]}\"]`); \
         return li && li.textContent.includes('lead facilitator') && !li.querySelector('[data-key^=lead-]') \
           && !!document.querySelector(`[data-key=\"lead-${arguments[1]}\"]`);",
        vec![json!(gil.id), json!(fran.id)],
    )
    .await;
    assert_eq!(
        server_snapshot(&server, &w).await["session"]["lead"],
        gil.id
    );
    page.close().await;
}
