/**
 * The first half of the page's script: state, formatting, the virtual list and the tree order. Plain
 * browser JavaScript (no framework) run inside one function under the page's nonce (see
 * {@link SCRIPT}); every value from the server is written with `textContent` or as an attribute, never
 * parsed as HTML.
 */
export const SCRIPT_VIEW = String.raw`
  var config = JSON.parse(document.getElementById('dashboard-config').textContent || '{}');
  var ROW = 30;
  var JSON_HEADERS = { 'Content-Type': 'application/json', 'X-Cancelable-Dashboard': '1' };
  var fleet = config.kind === 'fleet';
  var rows = new Map();
  var order = [];
  var depth = new Map();
  var selected = null;
  var view = 'live';
  var filter = { name: '', host: '', status: '' };
  var stats = null;
  var drawScheduled = false;
  var historyRows = [];

  function byId(id) { return document.getElementById(id); }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function pad(n) { return n < 10 ? '0' + n : String(n); }
  function duration(ms) {
    if (ms === null || ms === undefined || !isFinite(ms) || ms < 0) return '';
    var s = Math.floor(ms / 1000);
    if (s < 60) return s + 's';
    var m = Math.floor(s / 60);
    if (m < 60) return m + 'm ' + pad(s % 60) + 's';
    return Math.floor(m / 60) + 'h ' + pad(m % 60) + 'm';
  }
  function clock(epoch) {
    if (typeof epoch !== 'number') return '';
    var d = new Date(epoch);
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + String(d.getMilliseconds() + 1000).slice(1);
  }
  function shownStatus(row) { return row.status === 'running' && row.requested ? 'cancelling' : row.status; }
  function reasonText(row) {
    if (row.error) return row.error;
    if (row.cancelReason) return row.cancelReason + (row.cancelMessage ? ': ' + row.cancelMessage : '');
    if (row.requested) return 'requested: ' + row.requested;
    return '';
  }
  function matches(row) {
    if (filter.status && shownStatus(row) !== filter.status && row.status !== filter.status) return false;
    if (filter.name && row.name.toLowerCase().indexOf(filter.name.toLowerCase()) === -1) return false;
    if (filter.host && (row.host || '').toLowerCase().indexOf(filter.host.toLowerCase()) === -1) return false;
    return true;
  }

  var toastTimer = 0;
  function toast(message, isError) {
    var node = byId('toast');
    node.textContent = message;
    node.className = isError ? 'error' : '';
    node.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { node.hidden = true; }, 5000);
  }

  function request(path, body) {
    var init = body === undefined ? { credentials: 'same-origin' } :
      { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body), credentials: 'same-origin' };
    return fetch(path, init).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) throw new Error((json.error && json.error.message) || ('HTTP ' + response.status));
        return json;
      });
    });
  }

  // ---------------------------------------------------------------- a virtual list: only visible rows exist
  function VirtualList(container, create, update) {
    this.container = container;
    this.spacer = el('div', 'spacer');
    container.appendChild(this.spacer);
    this.pool = [];
    this.items = [];
    this.create = create;
    this.update = update;
    var self = this;
    container.addEventListener('scroll', function () { self.draw(); }, { passive: true });
  }
  VirtualList.prototype.setItems = function (items) {
    this.items = items;
    this.spacer.style.height = (items.length * ROW) + 'px';
    this.draw();
  };
  VirtualList.prototype.draw = function () {
    var top = this.container.scrollTop;
    var height = this.container.clientHeight || 600;
    var first = Math.max(0, Math.floor(top / ROW) - 5);
    var last = Math.min(this.items.length, Math.ceil((top + height) / ROW) + 5);
    while (this.pool.length < last - first) {
      var node = this.create();
      this.spacer.appendChild(node);
      this.pool.push(node);
    }
    for (var i = 0; i < this.pool.length; i++) {
      var item = this.pool[i];
      var index = first + i;
      if (index < last) {
        item.hidden = false;
        item.style.transform = 'translateY(' + (index * ROW) + 'px)';
        this.update(item, this.items[index]);
      } else {
        item.hidden = true;
        item.removeAttribute('data-id');
      }
    }
  };

  function cell(row, className) { var node = el('span', className); row.appendChild(node); return node; }

  function createLiveRow() {
    var node = el('div', 'row');
    node.setAttribute('role', 'row');
    node.cells = {
      name: cell(node, 'c-name'),
      status: el('span', 'status'),
      age: null, progress: null, reason: null, host: null, cancel: null, subtree: null
    };
    var statusCell = cell(node, 'c-status');
    statusCell.appendChild(node.cells.status);
    node.cells.age = cell(node, 'c-age');
    node.cells.progress = cell(node, 'c-progress');
    node.cells.reason = cell(node, 'c-reason');
    if (fleet) node.cells.host = cell(node, 'c-host');
    var actions = cell(node, 'c-actions');
    if (!config.readOnly) {
      node.cells.cancel = el('button', 'danger', 'Cancel');
      node.cells.cancel.setAttribute('data-action', 'cancel');
      node.cells.subtree = el('button', 'danger', 'Subtree');
      node.cells.subtree.setAttribute('data-action', 'cancel-subtree');
      node.cells.subtree.title = 'Cancel this operation and every operation under it, each with the message';
      actions.appendChild(node.cells.cancel);
      actions.appendChild(node.cells.subtree);
    }
    return node;
  }

  function updateLiveRow(node, id) {
    var row = rows.get(id);
    if (!row) return;
    var c = node.cells;
    node.setAttribute('data-id', row.id);
    node.classList.toggle('selected', row.id === selected);
    c.name.textContent = row.name;
    c.name.style.textIndent = (Math.min(depth.get(row.id) || 0, 20) * 14) + 'px';
    c.name.title = row.name;
    var status = shownStatus(row);
    c.status.textContent = status;
    c.status.className = 'status ' + status;
    var end = row.endTime !== null ? row.endTime : Date.now();
    c.age.textContent = row.startTime !== null ? duration(end - row.startTime) : '';
    c.progress.textContent = row.progress ? row.progress.message : '';
    c.reason.textContent = reasonText(row);
    c.reason.title = reasonText(row);
    if (c.host) c.host.textContent = row.host ? row.host + (row.pid ? ':' + row.pid : '') : '';
    if (c.cancel) {
      var live = row.status === 'running';
      c.cancel.hidden = !live;
      c.subtree.hidden = !live;
    }
  }

  function createHistoryRow() {
    var node = el('div', 'row');
    node.cells = {};
    node.cells.name = cell(node, 'c-name');
    var statusCell = cell(node, 'c-status');
    node.cells.status = el('span', 'status');
    statusCell.appendChild(node.cells.status);
    node.cells.age = cell(node, 'c-age');
    node.cells.reason = cell(node, 'c-reason');
    node.cells.ended = cell(node, 'c-progress');
    if (fleet) node.cells.host = cell(node, 'c-host');
    return node;
  }

  function updateHistoryRow(node, row) {
    var c = node.cells;
    node.setAttribute('data-id', row.id);
    c.name.textContent = row.name;
    c.status.textContent = row.status;
    c.status.className = 'status ' + row.status;
    c.age.textContent = row.startTime !== null && row.endTime !== null ? duration(row.endTime - row.startTime) : '';
    c.reason.textContent = reasonText(row);
    c.ended.textContent = row.endTime !== null ? 'ended ' + clock(row.endTime) : '';
    if (c.host) c.host.textContent = row.host || '';
  }

  var liveList = new VirtualList(byId('live-list'), createLiveRow, updateLiveRow);
  var historyList = new VirtualList(byId('history-list'), createHistoryRow, updateHistoryRow);

  // ---------------------------------------------------------------- tree order
  function rebuild() {
    var children = new Map();
    var roots = [];
    rows.forEach(function (row) {
      if (row.parentId !== null && rows.has(row.parentId) && row.parentId !== row.id) {
        var list = children.get(row.parentId);
        if (!list) children.set(row.parentId, list = []);
        list.push(row);
      } else {
        roots.push(row);
      }
    });
    function byStart(a, b) { return ((a.startTime || 0) - (b.startTime || 0)) || (a.id < b.id ? -1 : 1); }
    roots.sort(byStart);
    var next = [];
    var levels = new Map();
    var stack = [];
    var seen = new Set();
    for (var i = roots.length - 1; i >= 0; i--) stack.push([roots[i], 0]);
    while (stack.length) {
      var item = stack.pop();
      var row = item[0];
      if (seen.has(row.id)) continue;
      seen.add(row.id);
      levels.set(row.id, item[1]);
      if (matches(row)) next.push(row.id);
      var kids = children.get(row.id);
      if (kids) {
        kids.sort(byStart);
        for (var j = kids.length - 1; j >= 0; j--) stack.push([kids[j], item[1] + 1]);
      }
    }
    order = next;
    depth = levels;
  }

  function renderStats() {
    var node = byId('stats');
    clear(node);
    if (!stats) return;
    node.appendChild(el('span', '', stats.running + ' running'));
    var recent = stats.recent || {};
    Object.keys(recent).sort().forEach(function (key) {
      node.appendChild(el('span', 'dim', recent[key] + ' ' + key + ' (recent)'));
    });
    if (stats.untracked) node.appendChild(el('span', 'dim', stats.untracked + ' not shown (limit reached)'));
    if (filter.name || filter.host || filter.status) node.appendChild(el('span', 'dim', order.length + ' match'));
  }

  function draw() {
    drawScheduled = false;
    rebuild();
    liveList.setItems(order);
    byId('live-empty').hidden = order.length > 0;
    renderStats();
  }
  function scheduleDraw() {
    if (drawScheduled) return;
    drawScheduled = true;
    requestAnimationFrame(draw);
  }

`;
