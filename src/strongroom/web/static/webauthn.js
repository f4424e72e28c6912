// Security keys on the account pages (pages/keys.py): adding one at /account/keys and using
// one at the login's second step. The server's options come as JSON with binary fields in
// base64url; the browser's WebAuthn API wants ArrayBuffers, and its answers go back as JSON in
// base64url again. Each call carries the page's CSRF secret in X-CSRF-Token.
"use strict";

(function () {
  function toBytes(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  }

  function toText(buffer) {
    if (buffer === null || buffer === undefined) {
      return null;
    }
    let binary = "";
    new Uint8Array(buffer).forEach((b) => { binary += String.fromCharCode(b); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrf() {
    const field = document.querySelector('input[name="csrf_token"]');
    return field ? field.value : "";
  }

  // POST ``body`` as JSON; the answer's object, or an Error with the server's words (after
  // sending the page where the server said to go, e.g. to give the password again).
  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body),
    });
    let answer;
    try {
      answer = await response.json();
    } catch (error) {
      answer = { error: "The server answered " + response.status + "." };
    }
    if (!response.ok) {
      if (answer.redirect) {
        window.location.assign(answer.redirect);
      }
      const error = new Error(answer.error || "The server answered " + response.status + ".");
      error.status = response.status;
      throw error;
    }
    return answer;
  }

  function creationOptions(options) {
    options.challenge = toBytes(options.challenge);
    options.user.id = toBytes(options.user.id);
    (options.excludeCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
    return { publicKey: options };
  }

  function requestOptions(options) {
    options.challenge = toBytes(options.challenge);
    (options.allowCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
    return { publicKey: options };
  }

  function common(credential) {
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(),
    };
  }

  function registrationJSON(credential) {
    const answer = common(credential);
    const response = credential.response;
    answer.response = {
      clientDataJSON: toText(response.clientDataJSON),
      attestationObject: toText(response.attestationObject),
      transports: response.getTransports ? response.getTransports() : [],
    };
    return answer;
  }

  function assertionJSON(credential) {
    const answer = common(credential);
    const response = credential.response;
    answer.response = {
      clientDataJSON: toText(response.clientDataJSON),
      authenticatorData: toText(response.authenticatorData),
      signature: toText(response.signature),
      userHandle: toText(response.userHandle),
    };
    return answer;
  }

  function show(message) {
    const place = document.getElementById("key-error");
    place.textContent = message;
    place.hidden = false;
  }

  // A browser's own refusal (the user cancelled, the time ran out) in words.
  function words(error) {
    if (error.name === "NotAllowedError") {
      return "The key was not used: the request was cancelled or timed out. Try again.";
    }
    if (error.name === "InvalidStateError") {
      return "This key is registered to your account already.";
    }
    return error.message;
  }

  async function addKey(event) {
    event.preventDefault();
    const form = event.target;
    const name = form.elements.name.value;
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const options = await post("/account/keys/options", { name: name });
      const credential = await navigator.credentials.create(creationOptions(options));
      const done = await post("/account/keys/verify",
        { name: name, credential: registrationJSON(credential) });
      window.location.assign(done.redirect);
    } catch (error) {
      show(words(error));
    } finally {
      button.disabled = false;
    }
  }

  async function useKey(event) {
    const button = event.target;
    button.disabled = true;
    try {
      const options = await post("/account/two-factor/key/options", {});
      const credential = await navigator.credentials.get(requestOptions(options));
      const done = await post("/account/two-factor/key/verify",
        { credential: assertionJSON(credential), next: button.dataset.next });
      window.location.assign(done.redirect);
    } catch (error) {
      show(words(error));
    } finally {
      button.disabled = false;
    }
  }

  window.StrongroomKeys = {
    toBytes, toText, post, creationOptions, requestOptions, registrationJSON, assertionJSON,
  };

  document.addEventListener("DOMContentLoaded", () => {
    if (!window.PublicKeyCredential) {
      if (document.getElementById("key-error")) {
        show("This browser cannot use security keys.");
      }
      return;
    }
    const add = document.getElementById("add-key");
    if (add) {
      add.addEventListener("submit", addKey);
    }
    const use = document.getElementById("use-key");
    if (use) {
      use.addEventListener("click", useKey);
    }
  });
})();
