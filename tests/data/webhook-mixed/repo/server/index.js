'use strict';

const http = require('node:http');
const { handle } = require('./handler');

function start(port) {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const out = handle(body ? JSON.parse(body) : null);
      res.writeHead(out.status);
      res.end();
    });
  });
  server.listen(port);
  return server;
}

module.exports = { start };
