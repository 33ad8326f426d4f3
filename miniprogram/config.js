// The one file a center edits before building: where its 12328 server is and which subscribe-message templates
// it has (公众平台 → 订阅消息). The API base URL must also be in 开发管理 → 服务器域名 (request and uploadFile).
module.exports = {
  apiBaseUrl: 'https://12328.example.gov.cn',
  // 订阅消息模板ID：工单进度通知；留空时以服务器 GET /api/mp/subscriptions 返回的 template_id 为准
  orderTemplateId: '',
  // 热点政策通知（由热点政策推送使用；留空则不询问）
  policyTemplateId: '',
  // 手机号快速验证组件（需在公众平台开通，按次收费）：开通后设为 true，投诉表单显示“使用微信绑定的手机号”
  phoneButton: false,
  // 转人工期间轮询人工客服消息的间隔（毫秒）
  updatesIntervalMs: 4000,
}
