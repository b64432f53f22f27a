'use strict';

class TodoStore {
  constructor() {
    this.items = [];
    this.nextId = 1;
  }

  add(title) {
    const item = { id: this.nextId++, title, done: false };
    this.items.push(item);
    return item;
  }

  complete(id) {
    const item = this.items.find((i) => i.id === id);
    if (item) item.done = true;
    return item;
  }

  open() {
    return this.items.filter((i) => !i.done);
  }
}

module.exports = { TodoStore };
