'use strict';

function formatTodo(item) {
  return `${item.done ? '[x]' : '[ ]'} #${item.id} ${item.title}`;
}

function formatList(items) {
  return items.map(formatTodo).join('\n');
}

module.exports = { formatTodo, formatList };
