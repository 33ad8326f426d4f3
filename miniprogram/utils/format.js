// Small display helpers shared by the pages (China time, plain words).

function pad(n) {
  return n < 10 ? `0${n}` : `${n}`
}

// An ISO time (any offset) shown in China time: 11月30日 14:05
function chinaTime(iso) {
  if (!iso) return ''
  const moment = new Date(iso)
  if (Number.isNaN(moment.getTime())) return ''
  const local = new Date(moment.getTime() + 8 * 3600 * 1000)
  return `${local.getUTCMonth() + 1}月${local.getUTCDate()}日 ${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}`
}

// as the server's work_orders.lifecycle.RATINGS
const RATINGS = [
  { value: 'satisfied', label: '满意' },
  { value: 'basically_satisfied', label: '基本满意' },
  { value: 'dissatisfied', label: '不满意' },
]

// as the server's work_orders.lifecycle.DOMAINS
const DOMAINS = ['道路运输', '城市客运', '公路', '水路', '海事', '救助打捞', '海上搜救', '其他']

module.exports = { chinaTime, pad, RATINGS, DOMAINS }
