// 登录: the sign-in panel, shown when no token is kept or the server
// refused the kept one (401). The token is an API token: an administrator
// makes one with `gridsentry token create`, and `gridsentry dev` prints a
// local admin token and a link that signs the console in.

import { h, replace } from "../dom";
import { wellFormed } from "../session";

/**
 * renderSignIn fills el with the sign-in form. onToken is given a
 * well-formed token; it resolves when the console has checked it (the
 * panel then goes away, or shows again with the server's refusal).
 */
export function renderSignIn(el: HTMLElement, message: string | undefined, onToken: (token: string) => Promise<void>): void {
  const input = h("input", {
    type: "password", id: "signin-token", name: "token", autocomplete: "off", spellcheck: "false",
    required: true, placeholder: "gs_…", "aria-describedby": "signin-help",
  });
  const msg = h("div", { id: "signin-msg", role: "alert" }, message ? h("p", { class: "error" }, message) : null);
  const button = h("button", { type: "submit", class: "primary" }, "登录");
  const form = h("form", { "aria-labelledby": "signin-title" },
    h("label", { for: "signin-token" }, "API 令牌"), input,
    h("p", { id: "signin-help", class: "small" },
      "令牌由管理员签发：", h("code", {}, "gridsentry token create -role …"),
      "。在本机开发时，", h("code", {}, "gridsentry dev"),
      " 启动后会打印一个本机管理员令牌（24 小时有效）和一个已登录的控制台地址。令牌只保存在本浏览器中。"),
    msg,
    h("p", {}, button));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const token = input.value.trim();
    if (!wellFormed(token)) {
      replace(msg, h("p", { class: "error" }, "令牌格式不对：应以 gs_ 开头，共 46 个字符。"));
      input.focus();
      return;
    }
    button.disabled = true;
    replace(msg, h("p", { class: "small" }, "登录中…"));
    void onToken(token).finally(() => {
      button.disabled = false;
    });
  });
  replace(el, h("h2", { id: "signin-title" }, "登录"), form);
  el.hidden = false;
  input.focus();
}
