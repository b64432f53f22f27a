'use strict';

const test = require('node:test');
const assert = require('node:assert');
const { handle } = require('../server/handler');

test('handle accepts typed events', () => {
  assert.strictEqual(handle({ type: 'push' }).status, 202);
});
