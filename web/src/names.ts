// Chinese names of the codes the API speaks.

export const FLAG_KINDS: Record<string, string> = {
  address_unverified: "地址未核实",
  building_unfit: "建筑不宜经营",
  cluster_registration: "集群注册",
  restricted_trade: "限制行业",
  linked_parties: "关联主体",
  off_site: "异地经营",
  not_found: "查无此户",
  complaint_hotspot: "投诉热点",
  dormant: "长期未经营",
  blind_spot: "监管盲点",
};

export const FLAG_STATUS: Record<string, string> = {
  open: "待处理",
  confirmed: "已确认",
  dismissed: "已排除",
  resolved: "已解决",
};

export const ENTITY_STATUS: Record<string, string> = { active: "在营", cancelled: "注销", revoked: "吊销" };
export const ENTITY_KIND: Record<string, string> = { enterprise: "企业", individual: "个体工商户", cooperative: "农民专业合作社" };

export const ADDRESS_LEVEL: Record<string, string> = {
  room: "户室",
  building: "楼栋",
  doorplate: "门牌",
  place: "地点",
  road: "道路",
  village: "村（社区）",
  town: "镇街",
};

export const VALIDATE_STATUS: Record<string, string> = {
  matched: "匹配",
  ambiguous: "有歧义",
  not_found: "未找到",
  invalid: "无效",
};

/** nameOf looks a code up in a table, falling back to the code. */
export function nameOf(table: Record<string, string>, code: string | null | undefined): string {
  if (!code) return "—";
  return table[code] ?? code;
}

export const ADDRESS_ISSUES: Record<string, string> = {
  room_not_found: "户室不存在",
  number_not_found: "门牌号不存在",
  building_not_found: "楼栋不存在",
  road_not_found: "道路不存在",
  number_missing: "缺少门牌号",
  room_not_given: "未写户室",
  unit_missing: "缺少单元",
  building_missing: "缺少楼栋",
  road_corrected: "道路名已更正",
  place_corrected: "地点名已更正",
  town_corrected: "镇街已更正",
  town_mismatch: "镇街不符",
  village_mismatch: "村（社区）不符",
  building_demolished: "楼栋已拆除",
  building_slated: "楼栋拟拆除",
  multiple_towns: "涉及多个镇街",
  empty: "地址为空",
  too_long: "地址过长",
  no_address: "无地址",
};

export const TASK_KIND: Record<string, string> = { permit: "许可核查", first_check: "首次核查", change_check: "变更核查", check: "日常检查" };
export const TASK_STATUS: Record<string, string> = {
  pushed: "已推送", received: "已接收", feedback: "已反馈", done: "已完成", returned: "已退回", overdue: "已逾期",
};
export const INSPECTION_OUTCOME: Record<string, string> = {
  operating: "正常经营", not_found: "查无此户", moved: "已迁址", closed: "已停业",
};
export const LEAD_STATUS: Record<string, string> = { assigned: "已分派", coordination: "协调中", accepted: "已受理", closed: "已办结" };
export const REVIEW_DECISION: Record<string, string> = { confirm: "确认", dismiss: "排除", reopen: "重新打开" };

/** reviewDecisions gives the reviews a flag in a status can take. */
export function reviewDecisions(status: string): ("confirm" | "dismiss" | "reopen")[] {
  if (status === "open") return ["confirm", "dismiss"];
  if (status === "confirmed" || status === "dismissed") return ["reopen"];
  return [];
}
