# The example client in compose.yaml: swaks from Debian.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends swaks libnet-ssleay-perl \
 && rm -rf /var/lib/apt/lists/*
ENTRYPOINT ["swaks"]
