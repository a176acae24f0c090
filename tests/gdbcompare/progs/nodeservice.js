// SPDX-License-Identifier: GPL-2.0
// A small Node service for compare.py: a loopback HTTP server, idle.
const http = require("http");
const port = Number(process.argv[2] || 18085);
http.createServer((req, res) => res.end("hi\n")).listen(port, "127.0.0.1");
setInterval(() => {}, 1 << 30);
