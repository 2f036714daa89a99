# syntax=docker/dockerfile:1
# Lifeboat's image: docker build -t lifeboat:latest .
# One image for both Deployments: `server` (API and web page; add LIFEBOAT_WORKER=false to leave the
# work to a separate worker) and `worker` (only the worker). The runbooks are built into the jar and
# copied to /opt/lifeboat/runbooks (the playbooks the ansible action runs live there).

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
# the Maven cache survives between builds (BuildKit); the tests run in CI, not in the image build
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -pl api -am package -DskipTests

FROM eclipse-temurin:17-jre-noble
# tar (archives in helper pods and local restores), ansible-core (ansible action), rclone (offsite
# copy), git (git action), curl (compose health check), libdeflate0 and libisal2 (the archive
# engine's deflate); ca-certificates brings openssl and with it libcrypto.so.3 (the engine's
# SHA-256); nothing else of the build comes along
RUN apt-get update \
 && apt-get install -y --no-install-recommends tar ansible-core rclone git ca-certificates curl libdeflate0 libisal2 \
 && rm -rf /var/lib/apt/lists/*
# Non-root by default (uid 1000, the fsGroup of the worker's volume). Root is needed only to restore
# files owned by other users with their owners (a restore run as root gives each file its archived
# owner, as GNU tar does); run that worker with securityContext.runAsUser: 0 or `docker run --user 0`.
# The home folder is the user's own: ansible-playbook writes ~/.ansible/tmp and fails without it.
RUN (userdel --remove ubuntu 2>/dev/null || true) \
 && useradd --uid 1000 --user-group --home-dir /home/lifeboat --create-home lifeboat \
 && mkdir -p /opt/lifeboat /repository \
 && chown lifeboat:lifeboat /repository
WORKDIR /opt/lifeboat
COPY --from=build /src/api/target/lifeboat.jar /opt/lifeboat/lifeboat.jar
COPY runbooks/ /opt/lifeboat/runbooks/
ENV LIFEBOAT_REPOSITORY=/repository HOME=/home/lifeboat
# Pid files of the programs actions run (ansible-playbook, rclone, tar), so that a Lifeboat killed
# mid-run ends them when it starts again. Beside /repository would be /run/programs, which uid 1000
# cannot create; in a container the programs end with it, so a folder the restart clears is right.
ENV LIFEBOAT_RUN_DIR=/tmp/lifeboat-run
# Java reads file names in the locale's encoding: UTF-8, or non-ASCII names are unreadable to it
ENV LANG=C.UTF-8 LC_ALL=C.UTF-8
USER 1000:1000
EXPOSE 8080 8081
# the JIT policy scripts/start.sh gives where libcrypto is installed, as here (C1 only; reasons in
# scripts/jit-flags.sh)
ENTRYPOINT ["java", "-XX:TieredStopAtLevel=1", "-jar", "/opt/lifeboat/lifeboat.jar"]
CMD ["server"]
