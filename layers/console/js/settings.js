// Settings (#/settings/<section>): the account's settings, channels, office hours, macros, teams and
// routing rules, skills, agents and plan. Owners and admins change them; every other role reads the
// same pages with their controls disabled, and a note says why. A save sends only what changed.
import { api, ApiError } from './api.js';
import { h, replace, announce, focus } from './dom.js';
import { t, addStrings, when } from './i18n.js';
import { duration } from './reports.js';

addStrings({
  en: {
    'settings.title': 'Settings', 'settings.nav': 'Settings sections', 'settings.loading': 'Loading…',
    'settings.section.general': 'General', 'settings.section.channels': 'Channels',
    'settings.section.office-hours': 'Office hours', 'settings.section.macros': 'Macros',
    'settings.section.teams': 'Teams and routing', 'settings.section.skills': 'Skills',
    'settings.section.agents': 'Agents', 'settings.section.plan': 'Plan',
    'settings.readonly': 'Only an owner or admin changes these settings. You are signed in as {role}, so you can read them but not change them.',
    'settings.save': 'Save changes', 'settings.saved': 'Settings saved.', 'settings.unchanged': 'Nothing changed.',
    'settings.cancel': 'Cancel', 'settings.delete': 'Delete', 'settings.edit': 'Edit', 'settings.add': 'Add',
    'settings.remove': 'Remove', 'settings.confirm': 'Confirm', 'settings.reload': 'Reload',
    'settings.load_failed': 'These settings could not be loaded: {error}',
    'settings.needs_plan': 'This comes with the helpdesk plan; this account is on the {plan} plan.',
    'settings.none': 'None yet.', 'settings.yes': 'Yes', 'settings.no': 'No',
    // general
    'general.plan': 'Plan', 'plan.inbox': 'Inbox (free: web chat, one agent)', 'plan.helpdesk': 'Helpdesk (paid)',
    'general.auto_close': 'Auto-close', 'general.auto_close_enabled': 'Close open tickets when the customer goes quiet',
    'general.auto_close_after': 'After (ISO 8601 duration, e.g. P3D for 3 days, PT12H for 12 hours)',
    'general.duration_is': 'That is {value}.', 'general.duration_bad': 'Not a duration the helpdesk reads (examples: P3D, PT12H, P1W).',
    'general.unread': 'Unread badge', 'general.unread_badge': 'Show agents how many of their open tickets have unread customer messages',
    // channels
    'channels.addresses': 'Channels and addresses', 'channels.channel': 'Channel', 'channels.address': 'Address',
    'channels.no_addresses': 'The helpdesk does not list this account\'s inbound addresses here yet; they are set when a channel is connected. The email address replies come from is below.',
    'channel.sms': 'SMS', 'channel.whatsapp': 'WhatsApp', 'channel.instagram': 'Instagram', 'channel.email': 'Email', 'channel.webchat': 'Web chat',
    'channels.email': 'Email', 'channels.support_email': 'Support email (web chat follow-ups and email replies come from it)',
    'channels.sms': 'SMS', 'channels.sms_auto_enabled': 'Send an autoresponder to a new SMS conversation',
    'channels.sms_auto_text': 'SMS autoresponder text', 'channels.help_text': 'Reply to HELP (required by carriers)',
    'channels.notify': 'Team notifications: email these addresses about each new SMS (one per line)',
    'channels.shorten': 'Shorten links in outbound SMS (and count the clicks)',
    'channels.sms_window': 'Attribution window: an SMS reply counts for a campaign sent within (ISO 8601 duration)',
    'channels.webchat': 'Web chat', 'channels.webchat_open': 'Autoresponder during office hours',
    'channels.webchat_closed': 'Autoresponder outside office hours',
    'channels.instagram': 'Instagram', 'channels.human_agent': 'Use the HUMAN_AGENT tag: a person may answer up to 7 days after the customer\'s last message (needs Meta\'s approval of the app)',
    // office hours
    'hours.title': 'Office hours', 'hours.always': 'No office hours: the team is always in',
    'hours.timezone': 'Time zone', 'hours.weekly': 'Weekly hours', 'hours.closed': 'Closed',
    'hours.opens': 'Opens', 'hours.closes': 'Closes', 'hours.add_span': 'Add hours', 'hours.remove_span': 'Remove these hours',
    'hours.holidays': 'Holidays (closed all day)', 'hours.add_holiday': 'Add holiday', 'hours.new_holiday': 'New holiday',
    'hours.remove_holiday': 'Remove {date}', 'hours.no_holidays': 'No holidays.',
    'day.mon': 'Monday', 'day.tue': 'Tuesday', 'day.wed': 'Wednesday', 'day.thu': 'Thursday', 'day.fri': 'Friday', 'day.sat': 'Saturday', 'day.sun': 'Sunday',
    // macros
    'macros.title': 'Macros', 'macros.name': 'Name', 'macros.body': 'Text', 'macros.variables': 'Variables',
    'macros.new': 'New macro', 'macros.editing': 'Edit macro “{name}”', 'macros.save': 'Save macro', 'macros.saved': 'Macro saved.',
    'macros.deleted': 'Macro deleted.', 'macros.confirm_delete': 'Delete the macro “{name}”? Agents can no longer use it.',
    'macros.insert': 'Insert a variable', 'macros.preview': 'Preview (with example values)',
    'macros.actions': 'Actions',
    // teams and routing
    'teams.title': 'Teams', 'teams.name': 'Team name', 'teams.members': 'Members', 'teams.new': 'New team',
    'teams.editing': 'Edit team “{name}”', 'teams.save': 'Save team', 'teams.saved': 'Team saved.', 'teams.deleted': 'Team deleted.',
    'teams.confirm_delete': 'Delete the team “{name}”?', 'teams.no_members': 'No members',
    'routing.title': 'Routing rules', 'routing.help': 'A new or reopened ticket goes to the team of the first rule whose every condition holds; round robin then picks one of that team\'s online members. No rule matching: everyone online.',
    'routing.rule': 'Rule {n}', 'routing.tags': 'Has any of these tags (comma-separated)',
    'routing.segments': 'Customer in any of these segments (comma-separated)', 'routing.channels': 'Channel is one of',
    'routing.languages': 'Language is one of', 'routing.office': 'Office hours', 'routing.office_any': 'Any time',
    'routing.office_open': 'Open', 'routing.office_closed': 'Closed', 'routing.team': 'Send to team',
    'routing.priority': 'Priority', 'routing.priority_none': 'Leave as is', 'priority.low': 'Low', 'priority.normal': 'Normal',
    'priority.high': 'High', 'priority.urgent': 'Urgent', 'lang.en': 'English', 'lang.ko': 'Korean',
    'routing.up': 'Move rule {n} up', 'routing.down': 'Move rule {n} down', 'routing.remove': 'Remove rule {n}',
    'routing.add': 'Add rule', 'routing.save': 'Save rules', 'routing.saved': 'Routing rules saved.',
    'routing.no_rules': 'No rules: every ticket goes to round robin over everyone online.',
    'routing.needs_team': 'Create a team first: a rule sends tickets to a team.',
    'routing.always': 'Always (no conditions)',
    // skills
    'skills.title': 'Skills', 'skills.order_editing': 'Order editing', 'skills.status': 'Status', 'skills.missing': 'Missing',
    'skills.Live': 'Live', 'skills.Unavailable': 'Unavailable',
    'missing.helpdesk_plan': 'the helpdesk plan', 'missing.skill_enabled': 'the skill is turned off',
    'missing.shopify': 'a connected Shopify store', 'missing.customer_hub': 'a customer hub URL',
    'missing.order_edit_policy': 'an order-edit policy in the knowledge base', 'missing.order_cancel_policy': 'an order-cancellation policy in the knowledge base',
    'skills.setup': 'Order skill settings', 'skills.enabled': 'The order skill answers customers',
    'skills.hub_url': 'Customer hub order page (https; may hold {order_id} and {order_number})',
    'skills.handoff_message': 'What the skill tells a customer it hands over to a person (empty: its own words, in the customer\'s language)',
    'skills.handoff_team': 'Team a handoff goes to',
    'skills.preview': 'Try the order skill', 'skills.preview_help': 'See what the skill would answer; nothing is stored or sent.',
    'skills.preview_only_admin': 'Only an owner or admin previews a skill.',
    'skills.message': 'Customer message', 'skills.channel': 'Channel', 'skills.customer_email': 'As the customer with this email (empty: a customer who is not signed in)',
    'skills.run': 'Preview answer', 'skills.running': 'Asking the skill…', 'skills.intent': 'Intent', 'skills.action': 'Action',
    'skills.text': 'Answer', 'skills.order': 'Order', 'skills.link': 'Link', 'skills.card': 'Order card', 'skills.no_text': '(no answer)',
    // agents
    'agents.title': 'Agents', 'agents.name': 'Name', 'agents.email': 'Email', 'agents.role': 'Role', 'agents.status': 'Presence',
    'agents.active': 'Active', 'agents.capacity': 'Capacity', 'agents.capacity_hint': 'Most open tickets from round robin (empty: no limit)',
    'agents.actions': 'Actions', 'agents.save': 'Save', 'agents.saved': '{name} saved.', 'agents.deactivate': 'Deactivate',
    'agents.reactivate': 'Reactivate', 'agents.deactivated': '{name} deactivated.', 'agents.reactivated': '{name} reactivated.',
    'agents.confirm_deactivate': 'Deactivate {name}? They can no longer sign in and get no new tickets.',
    'agents.invite': 'Invite an agent', 'agents.invite_email': 'Email', 'agents.invite_name': 'Name (optional)',
    'agents.invite_role': 'Role', 'agents.invite_send': 'Send invitation', 'agents.invited': '{email} is invited: they get an email with a temporary password.',
    'agents.you': '(you)', 'agents.inactive': 'Deactivated', 'agents.online': 'Online', 'agents.offline': 'Offline',
    'role.owner': 'Owner', 'role.admin': 'Admin', 'role.manager': 'Manager', 'role.support': 'Support',
    // plan
    'plan.title': 'Plan', 'plan.current': 'This account is on the {plan} plan.', 'plan.feature': 'Feature',
    'plan.name.inbox': 'Inbox', 'plan.name.helpdesk': 'Helpdesk', 'plan.adds': 'What the helpdesk plan adds',
    'plan.switch_to': 'Switch to the {plan} plan', 'plan.switched': 'The account is now on the {plan} plan.',
    'plan.confirm': 'Switch this account to the {plan} plan? Nothing is deleted: what a plan lacks is kept and comes back on upgrade.',
    'feature.webchat': 'Web chat', 'feature.one_agent': 'One agent',
    'feature.macros': 'Macros', 'feature.multi_agent': 'More than one agent', 'feature.channels': 'SMS, WhatsApp, Instagram and email',
    'feature.autoresponders': 'Autoresponders', 'feature.profile_details': 'The customer\'s profile, orders and subscriptions beside the conversation',
    'feature.spam_filtering': 'Spam filtering',
  },
  ko: {
    'settings.title': '설정', 'settings.nav': '설정 항목', 'settings.loading': '불러오는 중…',
    'settings.section.general': '일반', 'settings.section.channels': '채널',
    'settings.section.office-hours': '운영 시간', 'settings.section.macros': '매크로',
    'settings.section.teams': '팀과 라우팅', 'settings.section.skills': '스킬',
    'settings.section.agents': '상담원', 'settings.section.plan': '요금제',
    'settings.readonly': '이 설정은 소유자나 관리자만 바꿀 수 있습니다. {role} 역할로 로그인했으므로 읽을 수만 있습니다.',
    'settings.save': '변경 사항 저장', 'settings.saved': '설정을 저장했습니다.', 'settings.unchanged': '바뀐 것이 없습니다.',
    'settings.cancel': '취소', 'settings.delete': '삭제', 'settings.edit': '편집', 'settings.add': '추가',
    'settings.remove': '제거', 'settings.confirm': '확인', 'settings.reload': '다시 불러오기',
    'settings.load_failed': '설정을 불러오지 못했습니다: {error}',
    'settings.needs_plan': '헬프데스크 요금제에 포함된 기능입니다. 이 계정은 {plan} 요금제입니다.',
    'settings.none': '아직 없습니다.', 'settings.yes': '예', 'settings.no': '아니요',
    'general.plan': '요금제', 'plan.inbox': '인박스 (무료: 웹 채팅, 상담원 1명)', 'plan.helpdesk': '헬프데스크 (유료)',
    'general.auto_close': '자동 종료', 'general.auto_close_enabled': '고객의 응답이 없으면 열린 티켓을 종료',
    'general.auto_close_after': '기간 (ISO 8601 기간, 예: 3일은 P3D, 12시간은 PT12H)',
    'general.duration_is': '{value}입니다.', 'general.duration_bad': '헬프데스크가 읽을 수 없는 기간입니다 (예: P3D, PT12H, P1W).',
    'general.unread': '읽지 않음 배지', 'general.unread_badge': '상담원에게 읽지 않은 고객 메시지가 있는 열린 티켓 수를 표시',
    'channels.addresses': '채널과 주소', 'channels.channel': '채널', 'channels.address': '주소',
    'channels.no_addresses': '이 계정의 수신 주소는 아직 여기에 표시되지 않습니다. 채널을 연결할 때 설정됩니다. 답장을 보내는 이메일 주소는 아래에 있습니다.',
    'channel.sms': 'SMS', 'channel.whatsapp': 'WhatsApp', 'channel.instagram': 'Instagram', 'channel.email': '이메일', 'channel.webchat': '웹 채팅',
    'channels.email': '이메일', 'channels.support_email': '지원 이메일 (웹 채팅 후속 메일과 이메일 답장의 발신 주소)',
    'channels.sms': 'SMS', 'channels.sms_auto_enabled': '새 SMS 대화에 자동 응답 보내기',
    'channels.sms_auto_text': 'SMS 자동 응답 문구', 'channels.help_text': 'HELP에 대한 답장 (통신사 요구 사항)',
    'channels.notify': '팀 알림: 새 SMS마다 이 주소로 이메일 보내기 (한 줄에 하나)',
    'channels.shorten': '발신 SMS의 링크 줄이기 (클릭 수 집계)',
    'channels.sms_window': '기여 기간: 이 기간 안에 보낸 캠페인에 SMS 답장을 기여 (ISO 8601 기간)',
    'channels.webchat': '웹 채팅', 'channels.webchat_open': '운영 시간 중 자동 응답',
    'channels.webchat_closed': '운영 시간 외 자동 응답',
    'channels.instagram': 'Instagram', 'channels.human_agent': 'HUMAN_AGENT 태그 사용: 고객의 마지막 메시지 후 7일까지 사람이 답할 수 있음 (Meta의 앱 승인 필요)',
    'hours.title': '운영 시간', 'hours.always': '운영 시간 없음: 팀이 항상 근무 중',
    'hours.timezone': '시간대', 'hours.weekly': '주간 운영 시간', 'hours.closed': '휴무',
    'hours.opens': '시작', 'hours.closes': '종료', 'hours.add_span': '시간 추가', 'hours.remove_span': '이 시간 제거',
    'hours.holidays': '휴일 (종일 휴무)', 'hours.add_holiday': '휴일 추가', 'hours.new_holiday': '새 휴일',
    'hours.remove_holiday': '{date} 제거', 'hours.no_holidays': '휴일이 없습니다.',
    'day.mon': '월요일', 'day.tue': '화요일', 'day.wed': '수요일', 'day.thu': '목요일', 'day.fri': '금요일', 'day.sat': '토요일', 'day.sun': '일요일',
    'macros.title': '매크로', 'macros.name': '이름', 'macros.body': '내용', 'macros.variables': '변수',
    'macros.new': '새 매크로', 'macros.editing': '매크로 “{name}” 편집', 'macros.save': '매크로 저장', 'macros.saved': '매크로를 저장했습니다.',
    'macros.deleted': '매크로를 삭제했습니다.', 'macros.confirm_delete': '매크로 “{name}”을(를) 삭제할까요? 상담원이 더 이상 사용할 수 없습니다.',
    'macros.insert': '변수 넣기', 'macros.preview': '미리 보기 (예시 값)',
    'macros.actions': '작업',
    'teams.title': '팀', 'teams.name': '팀 이름', 'teams.members': '구성원', 'teams.new': '새 팀',
    'teams.editing': '팀 “{name}” 편집', 'teams.save': '팀 저장', 'teams.saved': '팀을 저장했습니다.', 'teams.deleted': '팀을 삭제했습니다.',
    'teams.confirm_delete': '팀 “{name}”을(를) 삭제할까요?', 'teams.no_members': '구성원 없음',
    'routing.title': '라우팅 규칙', 'routing.help': '새 티켓이나 다시 열린 티켓은 모든 조건이 맞는 첫 번째 규칙의 팀으로 갑니다. 그 팀의 온라인 구성원 중 한 명에게 순환 배정됩니다. 맞는 규칙이 없으면 온라인인 모두에게 배정됩니다.',
    'routing.rule': '규칙 {n}', 'routing.tags': '다음 태그 중 하나가 있음 (쉼표로 구분)',
    'routing.segments': '고객이 다음 세그먼트 중 하나에 속함 (쉼표로 구분)', 'routing.channels': '채널',
    'routing.languages': '언어', 'routing.office': '운영 시간', 'routing.office_any': '언제나',
    'routing.office_open': '운영 중', 'routing.office_closed': '운영 외', 'routing.team': '보낼 팀',
    'routing.priority': '우선순위', 'routing.priority_none': '그대로 두기', 'priority.low': '낮음', 'priority.normal': '보통',
    'priority.high': '높음', 'priority.urgent': '긴급', 'lang.en': '영어', 'lang.ko': '한국어',
    'routing.up': '규칙 {n} 위로', 'routing.down': '규칙 {n} 아래로', 'routing.remove': '규칙 {n} 제거',
    'routing.add': '규칙 추가', 'routing.save': '규칙 저장', 'routing.saved': '라우팅 규칙을 저장했습니다.',
    'routing.no_rules': '규칙이 없습니다: 모든 티켓이 온라인인 모두에게 순환 배정됩니다.',
    'routing.needs_team': '먼저 팀을 만드세요: 규칙은 티켓을 팀으로 보냅니다.',
    'routing.always': '항상 (조건 없음)',
    'skills.title': '스킬', 'skills.order_editing': '주문 수정', 'skills.status': '상태', 'skills.missing': '부족한 것',
    'skills.Live': '사용 중', 'skills.Unavailable': '사용 불가',
    'missing.helpdesk_plan': '헬프데스크 요금제', 'missing.skill_enabled': '스킬이 꺼져 있음',
    'missing.shopify': '연결된 Shopify 스토어', 'missing.customer_hub': '고객 허브 URL',
    'missing.order_edit_policy': '지식 베이스의 주문 수정 정책', 'missing.order_cancel_policy': '지식 베이스의 주문 취소 정책',
    'skills.setup': '주문 스킬 설정', 'skills.enabled': '주문 스킬이 고객에게 답함',
    'skills.hub_url': '고객 허브 주문 페이지 (https, {order_id}와 {order_number} 사용 가능)',
    'skills.handoff_message': '스킬이 사람에게 넘길 때 고객에게 하는 말 (비우면: 고객의 언어로 된 기본 문구)',
    'skills.handoff_team': '넘길 팀',
    'skills.preview': '주문 스킬 시험하기', 'skills.preview_help': '스킬이 어떻게 답할지 봅니다. 아무것도 저장하거나 보내지 않습니다.',
    'skills.preview_only_admin': '스킬 미리 보기는 소유자나 관리자만 할 수 있습니다.',
    'skills.message': '고객 메시지', 'skills.channel': '채널', 'skills.customer_email': '이 이메일의 고객으로 (비우면: 로그인하지 않은 고객)',
    'skills.run': '답 미리 보기', 'skills.running': '스킬에 묻는 중…', 'skills.intent': '의도', 'skills.action': '동작',
    'skills.text': '답변', 'skills.order': '주문', 'skills.link': '링크', 'skills.card': '주문 카드', 'skills.no_text': '(답변 없음)',
    'agents.title': '상담원', 'agents.name': '이름', 'agents.email': '이메일', 'agents.role': '역할', 'agents.status': '상태',
    'agents.active': '활성', 'agents.capacity': '최대 배정', 'agents.capacity_hint': '순환 배정으로 받는 열린 티켓의 최대 수 (비우면: 제한 없음)',
    'agents.actions': '작업', 'agents.save': '저장', 'agents.saved': '{name}을(를) 저장했습니다.', 'agents.deactivate': '비활성화',
    'agents.reactivate': '다시 활성화', 'agents.deactivated': '{name}을(를) 비활성화했습니다.', 'agents.reactivated': '{name}을(를) 다시 활성화했습니다.',
    'agents.confirm_deactivate': '{name}을(를) 비활성화할까요? 더 이상 로그인할 수 없고 새 티켓도 받지 않습니다.',
    'agents.invite': '상담원 초대', 'agents.invite_email': '이메일', 'agents.invite_name': '이름 (선택)',
    'agents.invite_role': '역할', 'agents.invite_send': '초대 보내기', 'agents.invited': '{email}을(를) 초대했습니다. 임시 비밀번호가 담긴 이메일을 받습니다.',
    'agents.you': '(나)', 'agents.inactive': '비활성', 'agents.online': '온라인', 'agents.offline': '오프라인',
    'role.owner': '소유자', 'role.admin': '관리자', 'role.manager': '매니저', 'role.support': '상담원',
    'plan.title': '요금제', 'plan.current': '이 계정은 {plan} 요금제입니다.', 'plan.feature': '기능',
    'plan.name.inbox': '인박스', 'plan.name.helpdesk': '헬프데스크', 'plan.adds': '헬프데스크 요금제에 더해지는 것',
    'plan.switch_to': '{plan} 요금제로 바꾸기', 'plan.switched': '이제 {plan} 요금제입니다.',
    'plan.confirm': '이 계정을 {plan} 요금제로 바꿀까요? 아무것도 삭제되지 않습니다. 요금제에 없는 것은 보관되었다가 업그레이드하면 돌아옵니다.',
    'feature.webchat': '웹 채팅', 'feature.one_agent': '상담원 1명',
    'feature.macros': '매크로', 'feature.multi_agent': '상담원 여러 명', 'feature.channels': 'SMS, WhatsApp, Instagram, 이메일',
    'feature.autoresponders': '자동 응답', 'feature.profile_details': '대화 옆의 고객 프로필, 주문, 구독',
    'feature.spam_filtering': '스팸 필터링',
  },
});

const SECTIONS = ['general', 'channels', 'office-hours', 'macros', 'teams', 'skills', 'agents', 'plan'];
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const CHANNELS = ['sms', 'whatsapp', 'instagram', 'email', 'webchat'];
const ROLES = ['owner', 'admin', 'manager', 'support'];
const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
const FEATURES = ['channels', 'multi_agent', 'macros', 'autoresponders', 'profile_details', 'spam_filtering'];
// The variables a macro may hold (helpdesk/macros.py VARIABLES), with the example values its preview uses.
const MACRO_VARIABLES = {
  'customer.first_name': 'Jane', 'customer.last_name': 'Doe', 'ticket.id': 't1234567890', 'agent.first_name': 'Olivia', 'store.name': 'Demo Store',
};
const ISO_DURATION = /^P(?:(\d{1,4})W)?(?:(\d{1,5})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,7})M)?(?:(\d{1,9})S)?)?$/;

export async function mount(root, ctx, hash) {
  let host = root;
  let alive = true;
  let generation = 0;

  async function render(newHash) {
    // The language switch rebuilds the shell (a new <main>): draw into whichever is on the page.
    if (!host.isConnected) host = document.getElementById('main') || host;
    const section = sectionOf(newHash);
    const mine = ++generation;
    const nav = h('nav', { class: 'settings-nav', 'aria-label': t('settings.nav') },
      h('ul', { role: 'list', class: 'plain-list' }, SECTIONS.map((id) => h('li', {}, h('a', {
        href: `#/settings/${id}`, id: `settings-nav-${id}`, 'aria-current': id === section ? 'page' : null,
      }, t(`settings.section.${id}`))))));
    const page = h('div', { class: 'page settings-page', id: 'settings-page', 'aria-busy': 'true' },
      h('h1', { id: 'settings-title' }, t(`settings.section.${section}`)),
      h('p', { class: 'muted' }, t('settings.loading')));
    replace(host, h('div', { class: 'settings-layout' }, nav, page));
    let body;
    try {
      body = await SCREENS[section](ctx, () => mine === generation && alive);
    } catch (error) {
      body = [h('p', { class: 'form-error', role: 'alert', id: 'settings-load-error' },
        error instanceof ApiError && error.status === 403 ? error.message : t('settings.load_failed', { error: error.message }))];
    }
    if (mine !== generation || !alive) return;
    page.removeAttribute('aria-busy');
    const note = ctx.canAdmin() ? null
      : h('p', { class: 'readonly-note', id: 'settings-readonly' }, t('settings.readonly', { role: t(`role.${ctx.me?.role}`) }));
    replace(page, h('h1', { id: 'settings-title' }, t(`settings.section.${section}`)), note, body);
    if (!ctx.canAdmin()) readOnly(page);
  }

  await render(hash);
  return {
    unmount() { alive = false; },
    update(newHash) { render(newHash); },
  };
}

function sectionOf(hash) {
  const name = (hash || '').split('/')[2] || 'general';
  return SECTIONS.includes(name) ? name : 'general';
}

/** Every control of the page disabled: what a role that may not change settings sees. */
function readOnly(page) {
  page.querySelectorAll('input, select, textarea, button').forEach((el) => { el.disabled = true; });
  page.querySelectorAll('form').forEach((form) => form.setAttribute('aria-disabled', 'true'));
}

// --- small builders ----------------------------------------------------------------------------------

function field(id, label, control, hint = null) {
  const hintEl = hint ? h('span', { class: 'muted hint', id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', `${id}-hint`);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl);
}

function checkbox(id, label, checked) {
  const input = h('input', { type: 'checkbox', id, checked });
  return { input, el: h('div', { class: 'field inline' }, input, h('label', { for: id }, label)) };
}

function select(id, options, value, attrs = {}) {
  const el = h('select', { id, ...attrs }, options.map(([v, label]) => h('option', { value: v }, label)));
  el.value = value ?? '';
  return el;
}

function errorBox(id) {
  return h('p', { class: 'form-error', role: 'alert', id });
}

function needsPlan(settings, feature) {
  if (!settings || (settings.features || []).includes(feature)) return null;
  return h('p', { class: 'readonly-note plan-note' }, t('settings.needs_plan', { plan: t(`plan.name.${settings.plan}`) }));
}

/** Runs a write: the button waits, the API's refusal is shown beside the form, success is announced. */
async function attempt(button, errorEl, work, success) {
  errorEl.textContent = '';
  button.disabled = true;
  try {
    const result = await work();
    if (success) announce(typeof success === 'function' ? success(result) : success);
    return result;
  } catch (error) {
    errorEl.textContent = error instanceof ApiError ? (error.status === 0 ? t('error.network') : error.message) : String(error);
    return undefined;
  } finally {
    if (button.isConnected) button.disabled = false;
  }
}

/** A modal question with Confirm and Cancel; resolves true when confirmed. */
function confirmDialog(text, okLabel = t('settings.confirm')) {
  return new Promise((resolve) => {
    const ok = h('button', { type: 'button', class: 'primary', id: 'confirm-ok', onclick: () => { dialog.returnValue = 'ok'; dialog.close(); } }, okLabel);
    const cancel = h('button', { type: 'button', id: 'confirm-cancel', onclick: () => dialog.close() }, t('settings.cancel'));
    const dialog = h('dialog', { class: 'dialog', id: 'confirm', 'aria-labelledby': 'confirm-text' },
      h('p', { id: 'confirm-text' }, text), h('div', { class: 'actions' }, cancel, ok));
    dialog.addEventListener('close', () => { resolve(dialog.returnValue === 'ok'); dialog.remove(); });
    document.body.append(dialog);
    dialog.showModal();
    focus(cancel);
  });
}

/** What differs between `before` and `after` (only the keys `after` names): nested objects compared
 *  key by key, so a PATCH carries only what the agent changed; lists and `whole` keys go as they are. */
export function changes(before, after, whole = ['office_hours']) {
  const out = {};
  for (const [key, value] of Object.entries(after)) {
    const old = before ? before[key] : undefined;
    if (value && typeof value === 'object' && !Array.isArray(value) && !whole.includes(key) && old && typeof old === 'object') {
      const inner = changes(old, value, []);
      if (Object.keys(inner).length) out[key] = inner;
    } else if (JSON.stringify(value) !== JSON.stringify(old ?? null)) {
      out[key] = value;
    }
  }
  return out;
}

function isoSeconds(value) {
  const m = ISO_DURATION.exec(value || '');
  if (!m || value === 'P' || value.endsWith('T')) return null;
  const [w, d, hh, mm, ss] = m.slice(1).map((x) => Number(x || 0));
  const total = (((w * 7 + d) * 24 + hh) * 60 + mm) * 60 + ss;
  return total > 0 ? total : null;
}

/** A duration input with a live reading of what it means ("3 days"). */
function durationField(id, label, value) {
  const input = h('input', { type: 'text', id, value: value || '', spellcheck: 'false', autocomplete: 'off', size: 12 });
  const reading = h('span', { class: 'muted hint', id: `${id}-reading`, 'aria-live': 'polite' });
  const show = () => {
    const seconds = isoSeconds(input.value.trim());
    reading.textContent = seconds ? t('general.duration_is', { value: duration(seconds, 'long') }) : t('general.duration_bad');
  };
  input.addEventListener('input', show);
  input.setAttribute('aria-describedby', `${id}-reading`);
  show();
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, reading);
}

/** A settings form: its controls, an error line and `#settings-save`; `collect()` gives the wanted
 *  settings (in GET /api/settings' shape), of which only the changes are sent. */
function settingsForm(state, children, collect) {
  const error = errorBox('settings-error');
  const save = h('button', { type: 'submit', class: 'primary', id: 'settings-save' }, t('settings.save'));
  const form = h('form', { class: 'settings-form', id: 'settings-form', novalidate: true }, children,
    error, h('div', { class: 'form-actions' }, save));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    let change;
    try { change = changes(state.settings, collect()); } catch (problem) { error.textContent = problem.message; return; }
    if (!Object.keys(change).length) { error.textContent = ''; announce(t('settings.unchanged')); return; }
    const saved = await attempt(save, error, () => api('/api/settings', { method: 'PATCH', body: change }), t('settings.saved'));
    if (saved) state.settings = saved;
  });
  return form;
}

// --- the sections -------------------------------------------------------------------------------------

const SCREENS = {
  async general() {
    const state = { settings: await api('/api/settings') };
    const s = state.settings;
    const plan = select('settings-plan', [['inbox', t('plan.inbox')], ['helpdesk', t('plan.helpdesk')]], s.plan);
    const enabled = checkbox('settings-auto-close-enabled', t('general.auto_close_enabled'), s.auto_close?.enabled);
    const after = durationField('settings-auto-close-after', t('general.auto_close_after'), s.auto_close?.after);
    const badge = checkbox('settings-unread-badge', t('general.unread_badge'), s.unread_badge);
    return settingsForm(state, [
      h('section', { 'aria-labelledby': 'general-plan-h' }, h('h2', { id: 'general-plan-h' }, t('general.plan')),
        field('settings-plan', t('general.plan'), plan)),
      h('section', { 'aria-labelledby': 'general-close-h' }, h('h2', { id: 'general-close-h' }, t('general.auto_close')),
        enabled.el, after),
      h('section', { 'aria-labelledby': 'general-unread-h' }, h('h2', { id: 'general-unread-h' }, t('general.unread')), badge.el),
    ], () => ({
      plan: plan.value,
      auto_close: { enabled: enabled.input.checked, after: after.querySelector('input').value.trim() },
      unread_badge: badge.input.checked,
    }));
  },

  async channels() {
    const state = { settings: await api('/api/settings') };
    const s = state.settings;
    const supportEmail = h('input', { type: 'email', id: 'settings-support-email', value: s.support_email || '', autocomplete: 'off' });
    const smsAuto = checkbox('settings-sms-autoresponder-enabled', t('channels.sms_auto_enabled'), s.sms?.autoresponder?.enabled);
    const smsText = h('textarea', { id: 'settings-sms-autoresponder-text', rows: 2, maxlength: 1000 }, s.sms?.autoresponder?.text || '');
    const helpText = h('textarea', { id: 'settings-help-text', rows: 2, maxlength: 1000 }, s.help_text || '');
    const notify = h('textarea', { id: 'settings-sms-notify-emails', rows: 3, spellcheck: 'false' }, (s.sms?.notify_emails || []).join('\n'));
    const shorten = checkbox('settings-sms-shorten-links', t('channels.shorten'), s.sms?.shorten_links);
    const window = durationField('settings-sms-window', t('channels.sms_window'), s.attribution?.sms_window);
    const open = h('textarea', { id: 'settings-webchat-open', rows: 2, maxlength: 1000 }, s.webchat?.autoresponder?.open || '');
    const closed = h('textarea', { id: 'settings-webchat-closed', rows: 2, maxlength: 1000 }, s.webchat?.autoresponder?.closed || '');
    const humanAgent = checkbox('settings-instagram-human-agent-tag', t('channels.human_agent'), s.instagram?.human_agent_tag);
    return settingsForm(state, [
      addressesSection(s),
      h('section', { 'aria-labelledby': 'ch-email-h' }, h('h2', { id: 'ch-email-h' }, t('channels.email')),
        field('settings-support-email', t('channels.support_email'), supportEmail)),
      h('section', { 'aria-labelledby': 'ch-sms-h' }, h('h2', { id: 'ch-sms-h' }, t('channels.sms')),
        needsPlan(s, 'channels'), needsPlan(s, 'autoresponders'),
        smsAuto.el, field('settings-sms-autoresponder-text', t('channels.sms_auto_text'), smsText),
        field('settings-help-text', t('channels.help_text'), helpText),
        field('settings-sms-notify-emails', t('channels.notify'), notify), shorten.el, window),
      h('section', { 'aria-labelledby': 'ch-webchat-h' }, h('h2', { id: 'ch-webchat-h' }, t('channels.webchat')),
        field('settings-webchat-open', t('channels.webchat_open'), open),
        field('settings-webchat-closed', t('channels.webchat_closed'), closed)),
      h('section', { 'aria-labelledby': 'ch-ig-h' }, h('h2', { id: 'ch-ig-h' }, t('channels.instagram')),
        needsPlan(s, 'channels'), humanAgent.el),
    ], () => {
      const wanted = {
        sms: {
          autoresponder: { enabled: smsAuto.input.checked, text: smsText.value },
          notify_emails: notify.value.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean),
          shorten_links: shorten.input.checked,
        },
        attribution: { sms_window: window.querySelector('input').value.trim() },
        webchat: { autoresponder: { open: open.value, closed: closed.value } },
        instagram: { human_agent_tag: humanAgent.input.checked },
        help_text: helpText.value,
      };
      // An address left empty where the account had none is no change (the API refuses an empty one).
      if (supportEmail.value.trim() || s.support_email) wanted.support_email = supportEmail.value.trim();
      if (JSON.stringify([...wanted.sms.notify_emails].sort()) === JSON.stringify(s.sms?.notify_emails || [])) {
        wanted.sms.notify_emails = s.sms?.notify_emails || [];
      }
      return wanted;
    });
  },

  async 'office-hours'() {
    const state = { settings: await api('/api/settings') };
    const hours = state.settings.office_hours;
    const always = checkbox('office-always-open', t('hours.always'), !hours);
    const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
    const timezone = h('input', {
      type: 'text', id: 'office-timezone', list: 'office-timezones', autocomplete: 'off', spellcheck: 'false',
      value: hours?.timezone || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
    });
    const weekly = structuredClone(hours?.weekly || {});
    const holidays = [...(hours?.holidays || [])];
    const daysEl = h('div', { class: 'office-days' });
    const holidaysEl = h('div', { class: 'office-holidays' });

    const drawDays = () => replace(daysEl, h('table', { class: 'data office-week' },
      h('caption', { class: 'sr-only' }, t('hours.weekly')),
      h('tbody', {}, DAYS.map((day) => {
        const spans = weekly[day] || [];
        return h('tr', { id: `office-${day}` },
          h('th', { scope: 'row' }, t(`day.${day}`)),
          h('td', {}, spans.length ? null : h('span', { class: 'muted' }, t('hours.closed')),
            spans.map((span, i) => h('div', { class: 'office-span' },
              h('label', { for: `office-${day}-${i}-open`, class: 'sr-only' }, `${t(`day.${day}`)} ${t('hours.opens')}`),
              h('input', { type: 'time', id: `office-${day}-${i}-open`, value: span[0], oninput: (e) => { span[0] = e.target.value; } }),
              h('span', { 'aria-hidden': 'true' }, ' – '),
              h('label', { for: `office-${day}-${i}-close`, class: 'sr-only' }, `${t(`day.${day}`)} ${t('hours.closes')}`),
              h('input', { type: 'time', id: `office-${day}-${i}-close`, value: span[1], oninput: (e) => { span[1] = e.target.value; } }),
              h('button', { type: 'button', class: 'link', 'aria-label': `${t(`day.${day}`)}: ${t('hours.remove_span')}`,
                onclick: () => { spans.splice(i, 1); if (!spans.length) delete weekly[day]; drawDays(); } }, t('settings.remove'))))),
          h('td', {}, h('button', { type: 'button', id: `office-${day}-add`, 'aria-label': `${t(`day.${day}`)}: ${t('hours.add_span')}`,
            onclick: () => { (weekly[day] ||= []).push(spans.length ? [spans[spans.length - 1][1], '18:00'] : ['09:00', '18:00']); drawDays(); focus(document.getElementById(`office-${day}-${weekly[day].length - 1}-open`)); } },
          t('hours.add_span'))));
      }))));
    const newHoliday = h('input', { type: 'date', id: 'office-holiday-new' });
    const drawHolidays = () => replace(holidaysEl,
      holidays.length ? h('ul', { class: 'plain-list', id: 'office-holidays' }, holidays.map((day, i) => h('li', {},
        h('span', {}, day), ' ',
        h('button', { type: 'button', class: 'link', 'aria-label': t('hours.remove_holiday', { date: day }),
          onclick: () => { holidays.splice(i, 1); drawHolidays(); } }, t('settings.remove')))))
        : h('p', { class: 'muted' }, t('hours.no_holidays')));
    drawDays();
    drawHolidays();
    const detail = h('div', { class: 'office-detail', hidden: !!always.input.checked || null },
      field('office-timezone', t('hours.timezone'), timezone),
      h('datalist', { id: 'office-timezones' }, zones.map((z) => h('option', { value: z }))),
      h('h3', {}, t('hours.weekly')), daysEl,
      h('h3', {}, t('hours.holidays')), holidaysEl,
      h('div', { class: 'field inline' }, h('label', { for: 'office-holiday-new' }, t('hours.new_holiday')), newHoliday,
        h('button', { type: 'button', id: 'office-holiday-add', onclick: () => {
          if (newHoliday.value && !holidays.includes(newHoliday.value)) { holidays.push(newHoliday.value); holidays.sort(); drawHolidays(); }
          newHoliday.value = '';
        } }, t('hours.add_holiday'))));
    always.input.addEventListener('change', () => { detail.hidden = always.input.checked; });
    return settingsForm(state, [h('section', { 'aria-labelledby': 'office-h' }, h('h2', { id: 'office-h' }, t('hours.title')), always.el, detail)],
      () => ({
        office_hours: always.input.checked ? null : {
          timezone: timezone.value.trim(),
          weekly: Object.fromEntries(DAYS.filter((d) => weekly[d]?.length).map((d) => [d, weekly[d].map((s) => [s[0], s[1]])])),
          holidays: [...holidays],
        },
      }));
  },

  async macros(ctx) {
    const settings = await api('/api/settings').catch(() => null);
    const list = h('div', { id: 'macro-list' });
    const editor = h('div', { id: 'macro-editor' });
    let macros = [];
    let editing = null; // the macro being edited, or null for a new one

    const load = async () => {
      macros = (await api('/api/macros')).items || [];
      drawList();
    };
    const drawList = () => replace(list, macros.length ? h('table', { class: 'data', id: 'macro-table' },
      h('caption', { class: 'sr-only' }, t('macros.title')),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('macros.name')), h('th', { scope: 'col' }, t('macros.body')),
        h('th', { scope: 'col' }, t('macros.variables')), h('th', { scope: 'col' }, t('macros.actions')))),
      h('tbody', {}, macros.map((m) => h('tr', { 'data-macro-id': m.id },
        h('td', {}, m.name), h('td', { class: 'clip' }, m.body.length > 120 ? `${m.body.slice(0, 120)}…` : m.body),
        h('td', {}, (m.variables || []).map((v) => h('code', { class: 'chip' }, v))),
        h('td', { class: 'row-actions' },
          h('button', { type: 'button', class: 'macro-edit', 'aria-label': `${t('settings.edit')}: ${m.name}`, onclick: () => { editing = m; drawEditor(); focus(document.getElementById('macro-name')); } }, t('settings.edit')),
          h('button', { type: 'button', class: 'danger macro-delete', 'aria-label': `${t('settings.delete')}: ${m.name}`, onclick: async (e) => {
            if (!(await confirmDialog(t('macros.confirm_delete', { name: m.name }), t('settings.delete')))) return;
            const done = await attempt(e.target, listError, () => api(`/api/macros/${encodeURIComponent(m.id)}`, { method: 'DELETE' }), t('macros.deleted'));
            if (done !== undefined) { if (editing?.id === m.id) { editing = null; drawEditor(); } await load(); }
          } }, t('settings.delete'))))))) : h('p', { class: 'muted' }, t('settings.none')));
    const listError = errorBox('macro-list-error');

    const drawEditor = () => {
      const name = h('input', { type: 'text', id: 'macro-name', maxlength: 100, value: editing?.name || '', required: true });
      const body = h('textarea', { id: 'macro-body', rows: 5, maxlength: 5000, required: true }, editing?.body || '');
      const preview = h('div', { class: 'preview', id: 'macro-preview', 'aria-live': 'polite' });
      const showPreview = () => {
        preview.textContent = body.value.replace(/\{\{\s*([^{}]*?)\s*\}\}/g, (all, v) => (v in MACRO_VARIABLES ? MACRO_VARIABLES[v] : all));
      };
      body.addEventListener('input', showPreview);
      showPreview();
      const insert = (v) => {
        const token = `{{${v}}}`;
        const start = body.selectionStart ?? body.value.length;
        const end = body.selectionEnd ?? body.value.length;
        body.value = body.value.slice(0, start) + token + body.value.slice(end);
        body.focus();
        body.setSelectionRange(start + token.length, start + token.length);
        showPreview();
      };
      const error = errorBox('macro-error');
      const save = h('button', { type: 'submit', class: 'primary', id: 'macro-save' }, t('macros.save'));
      const form = h('form', { id: 'macro-form', novalidate: true },
        field('macro-name', t('macros.name'), name),
        field('macro-body', t('macros.body'), body),
        h('div', { class: 'macro-vars', role: 'group', 'aria-label': t('macros.insert') },
          h('span', { class: 'muted' }, `${t('macros.insert')}: `),
          Object.keys(MACRO_VARIABLES).map((v) => h('button', { type: 'button', class: 'link macro-var', 'data-variable': v, onclick: () => insert(v) }, `{{${v}}}`))),
        h('div', { class: 'field' }, h('span', { class: 'label', id: 'macro-preview-label' }, t('macros.preview')), preview),
        error,
        h('div', { class: 'form-actions' }, save,
          editing ? h('button', { type: 'button', id: 'macro-cancel', onclick: () => { editing = null; drawEditor(); } }, t('settings.cancel')) : null));
      preview.setAttribute('aria-labelledby', 'macro-preview-label');
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const wanted = { name: name.value, body: body.value };
        const path = editing ? `/api/macros/${encodeURIComponent(editing.id)}` : '/api/macros';
        const sent = editing ? Object.fromEntries(Object.entries(wanted).filter(([k, v]) => v !== editing[k])) : wanted;
        if (editing && !Object.keys(sent).length) { announce(t('settings.unchanged')); return; }
        const saved = await attempt(save, error, () => api(path, { method: editing ? 'PATCH' : 'POST', body: sent }), t('macros.saved'));
        if (saved) { editing = null; drawEditor(); await load(); }
      });
      replace(editor, h('h2', { id: 'macro-editor-h' }, editing ? t('macros.editing', { name: editing.name }) : t('macros.new')), form);
      if (!ctx.canAdmin()) readOnly(editor);
    };

    await load();
    drawEditor();
    return [
      needsPlan(settings, 'macros'),
      h('section', { 'aria-labelledby': 'macro-list-h' }, h('h2', { id: 'macro-list-h' }, t('macros.title')), list, listError),
      h('section', { 'aria-labelledby': 'macro-editor-h' }, editor),
    ];
  },

  async teams(ctx) {
    const [teamsData, rulesData, agentsData] = await Promise.all([
      api('/api/teams'), api('/api/routing/rules'), api('/api/agents')]);
    let teams = teamsData.items || [];
    const agents = (agentsData.items || []).filter((a) => a.active !== false);
    const routing = { rules: structuredClone(rulesData.rules || []), version: rulesData.version };
    const teamList = h('div', { id: 'team-list' });
    const teamEditor = h('div', { id: 'team-editor' });
    const teamListError = errorBox('team-list-error');
    const rulesEl = h('div', { id: 'routing-rules' });
    let editing = null;
    const nameOf = (id) => agents.find((a) => a.id === id)?.name || ctx.agentName(id);

    const reloadTeams = async () => { teams = (await api('/api/teams')).items || []; drawTeams(); drawRules(); };
    const drawTeams = () => replace(teamList, teams.length ? h('table', { class: 'data', id: 'team-table' },
      h('caption', { class: 'sr-only' }, t('teams.title')),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('teams.name')), h('th', { scope: 'col' }, t('teams.members')), h('th', { scope: 'col' }, t('macros.actions')))),
      h('tbody', {}, teams.map((team) => h('tr', { 'data-team-id': team.id },
        h('td', {}, team.name),
        h('td', {}, team.members.length ? team.members.map(nameOf).join(', ') : h('span', { class: 'muted' }, t('teams.no_members'))),
        h('td', { class: 'row-actions' },
          h('button', { type: 'button', class: 'team-edit', 'aria-label': `${t('settings.edit')}: ${team.name}`, onclick: () => { editing = team; drawEditor(); focus(document.getElementById('team-name')); } }, t('settings.edit')),
          h('button', { type: 'button', class: 'danger team-delete', 'aria-label': `${t('settings.delete')}: ${team.name}`, onclick: async (e) => {
            if (!(await confirmDialog(t('teams.confirm_delete', { name: team.name }), t('settings.delete')))) return;
            const done = await attempt(e.target, teamListError, () => api(`/api/teams/${encodeURIComponent(team.id)}`, { method: 'DELETE' }), t('teams.deleted'));
            if (done !== undefined) { if (editing?.id === team.id) { editing = null; drawEditor(); } await reloadTeams(); }
          } }, t('settings.delete'))))))) : h('p', { class: 'muted' }, t('settings.none')));

    const drawEditor = () => {
      const name = h('input', { type: 'text', id: 'team-name', maxlength: 100, value: editing?.name || '' });
      const chosen = new Set(editing?.members || []);
      const members = h('fieldset', { class: 'checks', id: 'team-members' }, h('legend', {}, t('teams.members')),
        agents.map((a) => h('label', { class: 'check' },
          h('input', { type: 'checkbox', class: 'team-member', id: `team-member-${a.id}`, value: a.id, checked: chosen.has(a.id) }),
          ` ${a.name || a.email}`)));
      const error = errorBox('team-error');
      const save = h('button', { type: 'submit', class: 'primary', id: 'team-save' }, t('teams.save'));
      const form = h('form', { id: 'team-form', novalidate: true }, field('team-name', t('teams.name'), name), members, error,
        h('div', { class: 'form-actions' }, save,
          editing ? h('button', { type: 'button', id: 'team-cancel', onclick: () => { editing = null; drawEditor(); } }, t('settings.cancel')) : null));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const wanted = { name: name.value, members: [...members.querySelectorAll('input:checked')].map((i) => i.value) };
        const sent = editing ? changes(editing, wanted) : wanted;
        if (editing && !Object.keys(sent).length) { announce(t('settings.unchanged')); return; }
        const path = editing ? `/api/teams/${encodeURIComponent(editing.id)}` : '/api/teams';
        const saved = await attempt(save, error, () => api(path, { method: editing ? 'PATCH' : 'POST', body: sent }), t('teams.saved'));
        if (saved) { editing = null; drawEditor(); await reloadTeams(); }
      });
      replace(teamEditor, h('h2', { id: 'team-editor-h' }, editing ? t('teams.editing', { name: editing.name }) : t('teams.new')), form);
      if (!ctx.canAdmin()) readOnly(teamEditor);
    };

    const rulesError = errorBox('routing-error');
    const drawRules = () => {
      const { rules } = routing;
      const teamOptions = [['', '—'], ...teams.map((team) => [team.id, team.name])];
      const list = (value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
      replace(rulesEl, rules.length ? h('ol', { class: 'rules plain-list', id: 'routing-list' }, rules.map((rule, i) => {
        const cond = rule.if ||= {};
        const n = i + 1;
        const names = (key, label) => h('div', { class: 'field' }, h('label', { for: `rule-${i}-${key}` }, label),
          h('input', { type: 'text', id: `rule-${i}-${key}`, value: list(cond[key]).join(', '), onchange: (e) => {
            const values = e.target.value.split(',').map((x) => x.trim()).filter(Boolean);
            if (values.length) cond[key] = values; else delete cond[key];
          } }));
        const choices = (key, options, label) => h('fieldset', { class: 'checks', id: `rule-${i}-${key}` }, h('legend', {}, label),
          options.map(([value, text]) => h('label', { class: 'check' }, h('input', {
            type: 'checkbox', value, checked: list(cond[key]).includes(value), 'data-key': key, onchange: (e) => {
              const now = [...e.target.closest('fieldset').querySelectorAll('input:checked')].map((x) => x.value);
              if (now.length) cond[key] = now; else delete cond[key];
            },
          }), ` ${text}`)));
        const office = select(`rule-${i}-office`, [['', t('routing.office_any')], ['open', t('routing.office_open')], ['closed', t('routing.office_closed')]], cond.office_hours || '',
          { onchange: (e) => { if (e.target.value) cond.office_hours = e.target.value; else delete cond.office_hours; } });
        const team = select(`rule-${i}-team`, teamOptions, rule.team_id || '', { onchange: (e) => { rule.team_id = e.target.value; } });
        const priority = select(`rule-${i}-priority`, [['', t('routing.priority_none')], ...PRIORITIES.map((p) => [p, t(`priority.${p}`)])], rule.priority || '',
          { onchange: (e) => { if (e.target.value) rule.priority = e.target.value; else delete rule.priority; } });
        const move = (to) => { rules.splice(to, 0, rules.splice(i, 1)[0]); drawRules(); focus(document.getElementById(`rule-${to}-h`)); };
        return h('li', { class: 'rule', id: `rule-${i}`, 'aria-labelledby': `rule-${i}-h` },
          h('div', { class: 'rule-head' }, h('h3', { id: `rule-${i}-h`, tabindex: '-1' }, t('routing.rule', { n })),
            h('button', { type: 'button', class: 'link rule-up', 'aria-label': t('routing.up', { n }), disabled: i === 0, onclick: () => move(i - 1) }, '↑'),
            h('button', { type: 'button', class: 'link rule-down', 'aria-label': t('routing.down', { n }), disabled: i === rules.length - 1, onclick: () => move(i + 1) }, '↓'),
            h('button', { type: 'button', class: 'link danger rule-remove', 'aria-label': t('routing.remove', { n }), onclick: () => { rules.splice(i, 1); drawRules(); } }, t('settings.remove'))),
          h('div', { class: 'rule-grid' },
            names('tags_any', t('routing.tags')), names('segments_any', t('routing.segments')),
            choices('channel', CHANNELS.map((c) => [c, t(`channel.${c}`)]), t('routing.channels')),
            choices('language', [['en', t('lang.en')], ['ko', t('lang.ko')]], t('routing.languages')),
            field(`rule-${i}-office`, t('routing.office'), office),
            field(`rule-${i}-team`, t('routing.team'), team),
            field(`rule-${i}-priority`, t('routing.priority'), priority)));
      })) : h('p', { class: 'muted' }, t('routing.no_rules')));
      if (!ctx.canAdmin()) readOnly(rulesEl);
    };

    const addRule = h('button', { type: 'button', id: 'rule-add', onclick: () => {
      if (!teams.length) { rulesError.textContent = t('routing.needs_team'); return; }
      routing.rules.push({ if: {}, team_id: teams[0].id });
      drawRules();
      focus(document.getElementById(`rule-${routing.rules.length - 1}-h`));
    } }, t('routing.add'));
    const saveRules = h('button', { type: 'submit', class: 'primary', id: 'routing-save' }, t('routing.save'));
    const rulesForm = h('form', { id: 'routing-form', novalidate: true }, rulesEl, rulesError,
      h('div', { class: 'form-actions' }, addRule, saveRules));
    rulesForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const body = { rules: routing.rules.map((r) => ({ if: r.if || {}, team_id: r.team_id, ...(r.priority ? { priority: r.priority } : {}) })) };
      const saved = await attempt(saveRules, rulesError, () => api('/api/routing/rules', {
        method: 'PUT', body, headers: { 'If-Match': String(routing.version) } }), t('routing.saved'));
      if (saved) { routing.rules = structuredClone(saved.rules); routing.version = saved.version; drawRules(); }
      else if (rulesError.textContent && /changed/i.test(rulesError.textContent)) {
        rulesError.append(' ', h('button', { type: 'button', class: 'link', id: 'routing-reload', onclick: async () => {
          const fresh = await api('/api/routing/rules');
          routing.rules = structuredClone(fresh.rules || []); routing.version = fresh.version; rulesError.textContent = ''; drawRules();
        } }, t('settings.reload')));
      }
    });

    drawTeams();
    drawEditor();
    drawRules();
    return [
      h('section', { 'aria-labelledby': 'team-list-h' }, h('h2', { id: 'team-list-h' }, t('teams.title')), teamList, teamListError),
      h('section', { 'aria-labelledby': 'team-editor-h' }, teamEditor),
      h('section', { 'aria-labelledby': 'routing-h' }, h('h2', { id: 'routing-h' }, t('routing.title')),
        h('p', { class: 'muted' }, t('routing.help')), rulesForm),
    ];
  },

  async skills(ctx) {
    const [skills, settings, teams] = await Promise.all([api('/api/skills'), api('/api/settings'), api('/api/teams').catch(() => ({ items: [] }))]);
    const state = { settings };
    const sk = settings.skills || {};
    const table = h('table', { class: 'data', id: 'skills-table' },
      h('caption', { class: 'sr-only' }, t('skills.title')),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('skills.title')), h('th', { scope: 'col' }, t('skills.status')), h('th', { scope: 'col' }, t('skills.missing')))),
      h('tbody', {}, (skills.items || []).map((skill) => h('tr', { 'data-skill': skill.name },
        h('td', {}, t(`skills.${skill.name}`)),
        h('td', {}, h('span', { class: `chip skill-status skill-${skill.status.toLowerCase()}`, id: `skill-status-${skill.name}` }, t(`skills.${skill.status}`))),
        h('td', {}, skill.missing?.length ? h('ul', { class: 'plain-list' }, skill.missing.map((m) => h('li', { 'data-missing': m }, t(`missing.${m}`)))) : '—')))));
    const enabled = checkbox('skill-order-editing-enabled', t('skills.enabled'), sk.order_editing?.enabled);
    const hub = h('input', { type: 'url', id: 'skill-hub-url', value: sk.customer_hub_url || '', spellcheck: 'false', size: 50 });
    const message = h('textarea', { id: 'skill-handoff-message', rows: 2, maxlength: 1000 }, sk.handoff_message || '');
    const team = h('input', { type: 'text', id: 'skill-handoff-team', value: sk.handoff_team || '', list: 'skill-teams', maxlength: 100 });
    const form = settingsForm(state, [
      enabled.el, field('skill-hub-url', t('skills.hub_url'), hub), field('skill-handoff-message', t('skills.handoff_message'), message),
      field('skill-handoff-team', t('skills.handoff_team'), team),
      h('datalist', { id: 'skill-teams' }, (teams.items || []).map((x) => h('option', { value: x.name }))),
    ], () => ({
      skills: { order_editing: { enabled: enabled.input.checked }, customer_hub_url: hub.value.trim(), handoff_message: message.value, handoff_team: team.value },
    }));
    return [
      h('section', { 'aria-labelledby': 'skills-h' }, h('h2', { id: 'skills-h' }, t('skills.title')), table),
      h('section', { 'aria-labelledby': 'skills-setup-h' }, h('h2', { id: 'skills-setup-h' }, t('skills.setup')), form),
      previewSection(ctx),
    ];
  },

  async agents(ctx) {
    const data = await api('/api/agents');
    let agents = data.items || [];
    const tableEl = h('div', { id: 'agent-list' });
    const listError = errorBox('agent-error');
    const iAmOwner = ctx.me?.role === 'owner';
    const roleOptions = (current) => ROLES.filter((r) => iAmOwner || r !== 'owner' || current === 'owner').map((r) => [r, t(`role.${r}`)]);
    const refresh = async () => { agents = (await api('/api/agents')).items || []; ctx.agents = agents; draw(); };

    const draw = () => replace(tableEl, h('table', { class: 'data', id: 'agent-table' },
      h('caption', { class: 'sr-only' }, t('agents.title')),
      h('thead', {}, h('tr', {}, ['agents.name', 'agents.email', 'agents.role', 'agents.status', 'agents.capacity', 'agents.actions']
        .map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', {}, agents.map((agent) => {
        const me = agent.id === ctx.me?.id;
        // Admins manage every role but owner; nobody changes their own role or deactivates themselves.
        const manageable = ctx.canAdmin() && (iAmOwner || agent.role !== 'owner');
        const label = agent.name || agent.email;
        const role = select(`agent-role-${agent.id}`, roleOptions(agent.role), agent.role, { 'aria-label': `${t('agents.role')}: ${label}`, disabled: !manageable || me });
        const capacity = h('input', { type: 'number', min: 0, max: 1000, step: 1, id: `agent-capacity-${agent.id}`, class: 'capacity',
          value: agent.capacity ?? '', 'aria-label': `${t('agents.capacity')}: ${label}`, title: t('agents.capacity_hint'), disabled: !manageable });
        const save = h('button', { type: 'button', id: `agent-save-${agent.id}`, disabled: !manageable, onclick: async () => {
          const wanted = { role: role.value, capacity: capacity.value === '' ? null : Number(capacity.value) };
          const sent = changes(agent, wanted);
          if (me) delete sent.role;
          if (!Object.keys(sent).length) { announce(t('settings.unchanged')); return; }
          const done = await attempt(save, listError, () => api(`/api/agents/${encodeURIComponent(agent.id)}`, { method: 'PATCH', body: sent }), t('agents.saved', { name: label }));
          if (done) await refresh();
        } }, t('agents.save'));
        const active = agent.active !== false;
        const toggle = h('button', { type: 'button', id: `agent-active-${agent.id}`, class: active ? 'danger' : null, disabled: !manageable || me, onclick: async () => {
          if (active && !(await confirmDialog(t('agents.confirm_deactivate', { name: label }), t('agents.deactivate')))) return;
          const done = await attempt(toggle, listError, () => api(`/api/agents/${encodeURIComponent(agent.id)}`, { method: 'PATCH', body: { active: !active } }),
            t(active ? 'agents.deactivated' : 'agents.reactivated', { name: label }));
          if (done) await refresh();
        } }, active ? t('agents.deactivate') : t('agents.reactivate'));
        return h('tr', { 'data-agent-id': agent.id, class: active ? null : 'inactive' },
          h('td', {}, agent.name || '—', me ? ` ${t('agents.you')}` : ''),
          h('td', {}, agent.email || ''),
          h('td', {}, role),
          h('td', {}, active ? t(agent.status === 'online' ? 'agents.online' : 'agents.offline') : t('agents.inactive'),
            agent.presence_at ? h('span', { class: 'muted' }, ` · ${when(agent.presence_at)}`) : null),
          h('td', {}, capacity),
          h('td', { class: 'row-actions' }, save, toggle));
      }))));

    const email = h('input', { type: 'email', id: 'agent-invite-email', autocomplete: 'off', required: true });
    const name = h('input', { type: 'text', id: 'agent-invite-name', maxlength: 100, autocomplete: 'off' });
    const role = select('agent-invite-role', roleOptions('support'), 'support');
    const inviteError = errorBox('agent-invite-error');
    const send = h('button', { type: 'submit', class: 'primary', id: 'agent-invite-submit' }, t('agents.invite_send'));
    const invite = h('form', { id: 'agent-invite-form', novalidate: true },
      field('agent-invite-email', t('agents.invite_email'), email), field('agent-invite-name', t('agents.invite_name'), name),
      field('agent-invite-role', t('agents.invite_role'), role), inviteError, h('div', { class: 'form-actions' }, send));
    invite.addEventListener('submit', async (event) => {
      event.preventDefault();
      const body = { email: email.value.trim(), role: role.value, ...(name.value.trim() ? { name: name.value.trim() } : {}) };
      const done = await attempt(send, inviteError, () => api('/api/agents', { method: 'POST', body }), t('agents.invited', { email: body.email }));
      if (done) { email.value = ''; name.value = ''; await refresh(); }
    });
    draw();
    return [
      h('section', { 'aria-labelledby': 'agents-h' }, h('h2', { id: 'agents-h' }, t('agents.title')), tableEl, listError),
      h('section', { 'aria-labelledby': 'invite-h' }, h('h2', { id: 'invite-h' }, t('agents.invite')), invite),
    ];
  },

  async plan() {
    const state = { settings: await api('/api/settings') };
    const error = errorBox('plan-error');
    const body = h('div', { id: 'plan-body' });
    const draw = () => {
      const { plan, features = [] } = state.settings;
      const other = plan === 'helpdesk' ? 'inbox' : 'helpdesk';
      const yes = (on) => h('td', { class: on ? 'yes' : 'no' }, h('span', { 'aria-hidden': 'true' }, on ? '✓ ' : '— '), on ? t('settings.yes') : t('settings.no'));
      const switchButton = h('button', { type: 'button', id: 'plan-switch', class: other === 'helpdesk' ? 'primary' : null, onclick: async () => {
        if (!(await confirmDialog(t('plan.confirm', { plan: t(`plan.name.${other}`) })))) return;
        const saved = await attempt(switchButton, error, () => api('/api/settings', { method: 'PATCH', body: { plan: other } }),
          t('plan.switched', { plan: t(`plan.name.${other}`) }));
        if (saved) { state.settings = saved; draw(); }
      } }, t('plan.switch_to', { plan: t(`plan.name.${other}`) }));
      replace(body,
        h('p', { id: 'plan-current', 'data-plan': plan }, t('plan.current', { plan: t(`plan.name.${plan}`) })),
        h('table', { class: 'data', id: 'plan-table' },
          h('caption', {}, t('plan.adds')),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('plan.feature')), h('th', { scope: 'col' }, t('plan.name.inbox')), h('th', { scope: 'col' }, t('plan.name.helpdesk')))),
          h('tbody', {},
            h('tr', {}, h('th', { scope: 'row' }, t('feature.webchat')), yes(true), yes(true)),
            FEATURES.map((f) => h('tr', { 'data-feature': f, class: features.includes(f) ? 'has' : null },
              h('th', { scope: 'row' }, t(`feature.${f}`)), yes(false), yes(true))))),
        error, h('div', { class: 'form-actions' }, switchButton));
    };
    draw();
    return h('section', { 'aria-labelledby': 'plan-h' }, h('h2', { id: 'plan-h' }, t('plan.title')), body);
  },
};

function addressesSection(settings) {
  // GET /api/settings does not list the account's inbound addresses today; shown when it does
  // (`channels`: [{channel, address, display_address?}] or {channel: address}).
  const raw = settings.channels;
  const rows = Array.isArray(raw) ? raw
    : raw && typeof raw === 'object' ? Object.entries(raw).flatMap(([channel, v]) => (Array.isArray(v) ? v : [v]).map((a) => ({ channel, address: a })))
      : [];
  const text = (row) => {
    const a = row.display_address || row.address || row;
    return typeof a === 'string' ? a : a.display_phone_number || a.account_id || a.phone_number_id || JSON.stringify(a);
  };
  return h('section', { 'aria-labelledby': 'ch-addr-h', id: 'channel-addresses' }, h('h2', { id: 'ch-addr-h' }, t('channels.addresses')),
    rows.length ? h('table', { class: 'data' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('channels.channel')), h('th', { scope: 'col' }, t('channels.address')))),
      h('tbody', {}, rows.map((r) => h('tr', { 'data-channel': r.channel },
        h('td', {}, t(`channel.${r.channel}`)), h('td', {}, text(r))))))
      : h('p', { class: 'muted' }, t('channels.no_addresses')));
}

function previewSection(ctx) {
  const message = h('textarea', { id: 'skill-preview-message', rows: 3, maxlength: 5000, required: true });
  const channel = select('skill-preview-channel', ['webchat', 'sms', 'whatsapp', 'email'].map((c) => [c, t(`channel.${c}`)]), 'webchat');
  const email = h('input', { type: 'email', id: 'skill-preview-email', autocomplete: 'off' });
  const result = h('div', { id: 'skill-preview-result', 'aria-live': 'polite' });
  const error = errorBox('skill-preview-error');
  const run = h('button', { type: 'submit', class: 'primary', id: 'skill-preview-run' }, t('skills.run'));
  const form = h('form', { id: 'skill-preview-form', novalidate: true },
    h('p', { class: 'muted' }, t('skills.preview_help')),
    ctx.canAdmin() ? null : h('p', { class: 'readonly-note' }, t('skills.preview_only_admin')),
    field('skill-preview-message', t('skills.message'), message), field('skill-preview-channel', t('skills.channel'), channel),
    field('skill-preview-email', t('skills.customer_email'), email), error, h('div', { class: 'form-actions' }, run), result);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    replace(result, h('p', { class: 'muted' }, t('skills.running')));
    const body = { message: message.value, channel: channel.value, ...(email.value.trim() ? { customer_email: email.value.trim() } : {}) };
    const decision = await attempt(run, error, () => api('/api/skills/order_editing/preview', { method: 'POST', body }));
    replace(result, decision ? decisionView(decision) : null);
  });
  return h('section', { 'aria-labelledby': 'skill-preview-h' }, h('h2', { id: 'skill-preview-h' }, t('skills.preview')), form);
}

function decisionView(d) {
  const safe = (url) => (/^https?:\/\//i.test(url || '') ? url : null);
  const link = (url, text) => (safe(url) ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, text || url) : text || url);
  const card = d.card;
  return h('div', { class: 'decision' },
    h('dl', { class: 'pairs' },
      h('dt', {}, t('skills.intent')), h('dd', { id: 'skill-preview-intent' }, h('code', {}, d.intent)),
      h('dt', {}, t('skills.action')), h('dd', { id: 'skill-preview-action' }, h('code', {}, d.action)),
      d.order ? [h('dt', {}, t('skills.order')), h('dd', { id: 'skill-preview-order' }, `${d.order.name} · ${d.order.state}`)] : null,
      d.link ? [h('dt', {}, t('skills.link')), h('dd', {}, link(d.link))] : null),
    h('div', { class: 'preview', id: 'skill-preview-text', lang: /[\uac00-\ud7a3]/.test(d.text || '') ? 'ko' : 'en' }, d.text || t('skills.no_text')),
    card ? h('div', { class: 'card', id: 'skill-preview-card', 'aria-label': t('skills.card') },
      h('strong', {}, card.order?.name || ''), card.order?.state ? h('span', { class: 'muted' }, ` · ${card.order.state}`) : null,
      h('ul', {}, (card.lines || []).map((line) => h('li', {}, `${line.name} × ${line.quantity} `,
        (line.actions || []).map((a) => h('span', { class: 'chip' }, link(a.url, a.label)))))),
      h('div', { class: 'card-actions' }, (card.actions || []).map((a) => h('span', { class: 'chip' }, link(a.url, a.label))))) : null);
}
