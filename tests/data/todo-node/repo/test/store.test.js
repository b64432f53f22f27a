'use strict';

const test = require('node:test');
const assert = require('node:assert');
const { TodoStore } = require('../src/store');

test('add stores an open item', () => {
  const s = new TodoStore();
  s.add('write tests');
  assert.strictEqual(s.open().length, 1);
});
