# Janus (AudioBridge) and coturn for the audio tests (tests/audio.rs, tests/audio_staff.rs,
# tests/cluster_audio.rs), mandatory when CABILDO_REQUIRE_JANUS is set. The tests start their
# own Janus and coturn, with their own configuration, inside a network namespace they make
# (`ip netns`, loopback only; tests/cluster_audio.rs, which needs the PostgreSQL of
# 10-postgres.sh, runs its Janus outside one, on a free port of 127.0.0.1 with ICE on `lo`
# only), and build their LD_PRELOAD loopback helper themselves with `cc` (hence gcc and the
# libc headers). Neither package's own service is used.
apt-get update -qq
apt-get install -y -qq janus coturn iproute2 gcc libc6-dev >/dev/null
export CABILDO_REQUIRE_JANUS=1
