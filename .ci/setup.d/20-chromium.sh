# Headless Chromium and its WebDriver for the browser tests (tests/browser/ and
# tests/browser_*.rs), which are mandatory when CABILDO_REQUIRE_BROWSER is set.
apt-get update -qq
apt-get install -y -qq chromium chromium-driver >/dev/null
export CABILDO_REQUIRE_BROWSER=1
