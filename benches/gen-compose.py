#!/usr/bin/env python3
"""Writes a compose file of N services, ~340 bytes each (1,000 services ≈ 340 KB): half
hardened, half with typical gaps, so every linter has findings to report."""
import sys

n = int(sys.argv[1])
out = ["services:"]
for i in range(n):
    if i % 2 == 0:
        out += [
            f"  svc{i}:",
            f"    image: registry.example.com/team/app{i}:1.{i % 50}.0",
            '    user: "1000:1000"',
            "    read_only: true",
            "    cap_drop: [ALL]",
            '    security_opt: ["no-new-privileges:true"]',
            "    deploy: {resources: {limits: {cpus: '0.5', memory: 256M, pids: 128}}}",
            '    tmpfs: ["/tmp:rw,noexec,nosuid,nodev,size=16m"]',
            "    restart: unless-stopped",
        ]
    else:
        out += [
            f"  svc{i}:",
            f"    image: registry.example.com/team/app{i}:latest",
            "    privileged: true",
            "    ports: ['8080:80']",
            f"    volumes: ['/var/run/docker.sock:/var/run/docker.sock', './data{i}:/data']",
            "    environment:",
            "      API_TOKEN: hunter2-not-a-real-token",
            f"      LOG_LEVEL: debug{i}",
            "    cap_add: [SYS_ADMIN]",
        ]
print("\n".join(out))
