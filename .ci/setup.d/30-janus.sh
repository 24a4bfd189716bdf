# Janus (AudioBridge) for the audio tests (tests/audio.rs), mandatory when
# CABILDO_REQUIRE_JANUS is set. The tests start their own Janus, with their own
# configuration, inside a network namespace they make (`ip netns`, loopback only), and build
# their LD_PRELOAD loopback helper themselves with `cc` (hence gcc and the libc headers).
apt-get update -qq
apt-get install -y -qq janus iproute2 gcc libc6-dev >/dev/null
export CABILDO_REQUIRE_JANUS=1
