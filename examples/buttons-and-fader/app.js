// Two buttons and a fader on tdcrowd's protocol: the fader sets x, holding a button sets y. The client module does
// the rest: the phone's id and resume token, reconnecting, one update per frame, speed and angle, idle delete.
import { connect, RIM } from '/tdcrowd-client.js';

const crowd = connect();
const $ = (id) => document.getElementById(id);

crowd.on('status', (s) => {
  $('state').textContent = s.label; // e.g. "connected · waiting for the show"
  $('state').dataset.state = s.state;
});
crowd.on('notice', (text) => ($('notice').textContent = text));
crowd.on('sent', (v) => ($('values').textContent = `x ${v.x} · y ${v.y} · speed ${v.speed} · angle ${v.angle}`));

let x = 0; // fader: -RIM (left) … RIM (right)
let y = 0; // buttons: -RIM (up) while Up is held, RIM (down) while Down is held

function update() {
  crowd.hold(y !== 0); // a held button is not idle, even if nothing changes
  crowd.send({ x, y });
}

$('fader').addEventListener('input', (e) => {
  x = (Number(e.target.value) / 100) * RIM;
  update();
});

for (const [id, value] of [['up', -RIM], ['down', RIM]]) {
  const button = $(id);
  button.addEventListener('pointerdown', (e) => {
    button.setPointerCapture(e.pointerId);
    y = value;
    update();
  });
  const letGo = () => {
    if (y !== value) return;
    y = 0;
    update();
  };
  button.addEventListener('pointerup', letGo);
  button.addEventListener('pointercancel', letGo);
}
