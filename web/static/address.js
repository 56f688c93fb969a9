// Live address validation: after a pause in typing, ask the server whether the address is in
// the area's address index; offer the closest known addresses in the field's datalist.
(function () {
  const input = document.querySelector("input[data-check-url]");
  if (!input) return;
  const status = document.getElementById("address-status");
  const list = document.getElementById(input.getAttribute("list"));
  const token = document.querySelector('meta[name="csrf-token"]').content;
  let timer = null, last = "";
  function show(text, ok) {
    status.textContent = text;
    status.className = "live " + (ok === null ? "" : ok ? "ok" : "bad");
  }
  async function check() {
    const query = input.value.trim();
    if (query.length < 3 || query === last) return;
    last = query;
    try {
      const response = await fetch(input.dataset.checkUrl, {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": token},
        body: JSON.stringify({query: query})});
      if (!response.ok) return;
      const data = await response.json();
      list.replaceChildren(...(data.suggestions || data.candidates || []).concat(data.candidates || [])
        .filter((v, i, a) => a.indexOf(v) === i).slice(0, 10)
        .map(v => { const o = document.createElement("option"); o.value = v; return o; }));
      show(data.message, data.ok);
      input.setAttribute("aria-invalid", data.ok ? "false" : "true");
    } catch (e) { /* offline: the server checks again on submit */ }
  }
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(check, 400); });
  input.addEventListener("change", check);
})();
