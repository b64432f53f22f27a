'use strict';

const crypto = require('node:crypto');

function verifySignature(secret, body, signature) {
  const mac = crypto.createHmac('sha256', secret).update(body).digest('hex');
  return mac === signature;
}

function handle(event) {
  if (!event || !event.type) return { status: 400 };
  return { status: 202, type: event.type };
}

module.exports = { verifySignature, handle };
