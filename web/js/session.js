// The sessions this browser holds: one per workshop (token, participant, role, language),
// in localStorage, and which one was used last.
export function saveSession(s) {
  localStorage.setItem(`cabildo.session.${s.workshop}`, JSON.stringify(s));
  localStorage.setItem('cabildo.last', s.workshop);
}

export function loadSession() {
  const w = new URLSearchParams(location.search).get('w') || localStorage.getItem('cabildo.last');
  try { return JSON.parse(localStorage.getItem(`cabildo.session.${w}`)); } catch { return null; }
}

export function forget(workshop) {
  localStorage.removeItem(`cabildo.session.${workshop}`);
}
