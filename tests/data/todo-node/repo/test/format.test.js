'use strict';

const test = require('node:test');
const assert = require('node:assert');
const { formatTodo } = require('../src/format');

test('formatTodo marks done items', () => {
  assert.strictEqual(formatTodo({ id: 1, title: 'a', done: true }), '[x] #1 a');
});
