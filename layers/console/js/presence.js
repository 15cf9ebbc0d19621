// Presence: the header's Online/Offline switch. While online and the page is open, a heartbeat goes
// out well inside the presence expiry (config.presence_seconds); closing the tab stops the beats, so
// round robin stops assigning to this agent once the last one expires. Offline is said at once.
import { api } from './api.js';
import { t } from './i18n.js';
import { announce } from './dom.js';

export class Presence {
  constructor(ctx, button) {
    this.ctx = ctx;
    this.button = button;
    this.online = false;
    this.timer = null;
    this.period = Math.max(5, Math.floor((ctx.config.presence_seconds || 120) / 3)) * 1000;
    button.addEventListener('click', () => this.toggle());
  }

  render() {
    this.button.setAttribute('aria-checked', String(this.online));
    this.button.classList.toggle('on', this.online);
    this.button.querySelector('.presence-text').textContent = this.online ? t('presence.online') : t('presence.offline');
    this.button.title = this.online ? t('presence.on') : t('presence.off');
  }

  async start(online) {
    this.online = online;
    this.render();
    if (online) await this.beat();
  }

  async beat() {
    clearTimeout(this.timer);
    if (!this.online) return;
    try {
      await api('/api/agents/me/presence', { method: 'PUT', body: { status: 'online' } });
    } catch { /* the next beat tries again, well before the expiry */ }
    if (this.online) this.timer = setTimeout(() => this.beat(), this.period);
  }

  async toggle() {
    if (this.online) await this.goOffline(); else { this.online = true; this.render(); await this.beat(); }
    announce(this.online ? t('presence.on') : t('presence.off'));
  }

  async goOffline() {
    if (!this.online) return;
    this.online = false;
    clearTimeout(this.timer);
    this.render();
    await api('/api/agents/me/presence', { method: 'PUT', body: { status: 'offline' } }).catch(() => {});
  }

  stop() { clearTimeout(this.timer); this.timer = null; }
}
