#!/usr/bin/env node
'use strict';

const { TodoStore } = require('./store');
const { formatList } = require('./format');

function main(argv) {
  const store = new TodoStore();
  for (const title of argv) store.add(title);
  process.stdout.write(formatList(store.items) + '\n');
}

if (require.main === module) main(process.argv.slice(2));

module.exports = { main };
