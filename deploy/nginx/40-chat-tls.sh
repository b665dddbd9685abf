#!/bin/sh
# Run by the nginx image's entrypoint (/docker-entrypoint.d/) before nginx starts:
# TLS when certificates are mounted, plain HTTP otherwise.
set -eu
mkdir -p /etc/nginx/chat
cp /etc/nginx/chat-src/*.conf /etc/nginx/chat/
rm -f /etc/nginx/chat/server-*.conf /etc/nginx/chat/http-mode.conf
cp /etc/nginx/chat-src/http.conf /etc/nginx/chat/server-http.conf
if [ -s /etc/nginx/certs/fullchain.pem ] && [ -s /etc/nginx/certs/privkey.pem ]; then
    echo "chat: TLS on (certificates in /etc/nginx/certs)"
    cp /etc/nginx/chat-src/tls.conf /etc/nginx/chat/server-tls.conf
    cp /etc/nginx/chat-src/http-redirect.conf /etc/nginx/chat/http-mode.conf
else
    echo "chat: no certificates in /etc/nginx/certs: plain HTTP only (trial, or TLS ends in front)"
    cp /etc/nginx/chat-src/locations.conf /etc/nginx/chat/http-mode.conf
fi
