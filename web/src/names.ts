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
